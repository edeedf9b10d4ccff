"""DNS zones and their records."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from panel.dns.models import Record, Zone
from panel.dns.selectors import record_list, zone_list
from panel.dns.services import record_create, record_delete, record_update, zone_create, zone_delete
from panel.portal.forms import RecordForm, ZoneForm
from panel.portal.views.common import actor, attempt, confirm_delete, page, visible


def _zone(request: HttpRequest, pk: int) -> Zone:
    return visible(zone_list(actor=actor(request)), pk)


def _record(request: HttpRequest, pk: int) -> Record:
    return visible(record_list(actor=actor(request)), pk)


def _page(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    return page(request, template, "dns", **context)


@login_required
def zones(request: HttpRequest) -> HttpResponse:
    return _page(request, "portal/dns/zones.html", zones=zone_list(actor=actor(request))[:500])


@login_required
def zone_new(request: HttpRequest) -> HttpResponse:
    form = ZoneForm(request.POST or None)
    account = getattr(request.user, "account", None)
    if request.method == "POST" and form.is_valid():
        if account is None:
            form.add_error(None, "Only a customer's user adds zones here; staff use the staff panel.")
        else:
            name = form.cleaned_data["name"]
            created = attempt(
                request, form, lambda: zone_create(account=account, name=name, actor=actor(request)),
                f"The zone {name} is being set up.",
            )  # fmt: skip
            if created is not None:
                return redirect("portal:zone", pk=created[0].pk)
    return _page(request, "portal/dns/zone_form.html", form=form)


@login_required
def zone(request: HttpRequest, pk: int) -> HttpResponse:
    found = _zone(request, pk)
    form = RecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = attempt(
            request, form,
            lambda: record_create(zone=found, name=data["name"], type=data["type"], value=data["value"],
                                  ttl=data["ttl"], actor=actor(request)),
            "The record is being added.",
        )  # fmt: skip
        if created is not None:
            return redirect("portal:zone", pk=pk)
    records = record_list(actor=actor(request)).filter(zone=found).order_by("name", "type", "pk")
    return _page(request, "portal/dns/zone.html", zone=found, records=records, form=form)


@login_required
def zone_remove(request: HttpRequest, pk: int) -> HttpResponse:
    found = _zone(request, pk)
    back = reverse("portal:zone", args=[pk])
    if request.method == "POST":
        done = attempt(request, None, lambda: zone_delete(zone=found, actor=actor(request)),
                       f"The zone {found.name} is being deleted.")  # fmt: skip
        return redirect("portal:zones" if done is not None else back)
    consequence = f"Its {found.records.count()} records go with it, and its name stops being served here."
    return _page(request, "portal/confirm_delete.html", what=f"the zone {found.name}", consequence=consequence,
                 back=back)  # fmt: skip


@login_required
def record_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = _record(request, pk)
    initial = {"name": found.name, "type": found.type, "value": found.value, "ttl": found.ttl}
    form = RecordForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = attempt(request, form, lambda: record_update(record=found, actor=actor(request), **data),
                          "The record is being changed.")  # fmt: skip
        if changed is not None:
            return redirect("portal:zone", pk=found.zone_id)
    return _page(request, "portal/dns/record_form.html", record=found, form=form)


@login_required
def record_remove(request: HttpRequest, pk: int) -> HttpResponse:
    found = _record(request, pk)
    back = reverse("portal:zone", args=[found.zone_id])
    return confirm_delete(
        request, section="dns", what=f"the record {found.name} {found.type} {found.value[:60]}",
        consequence="It stops being served.", back=back,
        delete=lambda: record_delete(record=found, actor=actor(request)), done="The record is being deleted.",
        then=back,
    )  # fmt: skip
