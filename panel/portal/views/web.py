"""Websites: their domains, PHP, HTTPS mode and certificate."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from panel.portal.forms import CertificateForm, WebsiteForm, WebsiteSettingsForm, lines
from panel.portal.views.common import actor, attempt, is_read_only
from panel.web.models import Website
from panel.web.selectors import website_list
from panel.web.services import website_certificate_set, website_create, website_delete, website_update


def _site(request: HttpRequest, pk: int) -> Website:
    found = website_list(actor=actor(request)).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _page(request: HttpRequest, template: str, **context: object) -> HttpResponse:
    return render(request, template, {"section": "web", "read_only": is_read_only(request), **context})


@login_required
def sites(request: HttpRequest) -> HttpResponse:
    form = WebsiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = getattr(request.user, "account", None)
        if account is None:
            raise Http404  # staff work in the staff panel
        data = form.cleaned_data
        created = attempt(
            request, form,
            lambda: website_create(account=account, name=data["name"], domains=lines(data["domains"]),
                                   php=data["php"], actor=actor(request)),
            f"The website {data['name']} is being set up.",
        )  # fmt: skip
        if created is not None:
            return redirect("portal:website", pk=created[0].pk)
    found = website_list(actor=actor(request)).order_by("name")[:500]
    return _page(request, "portal/web/sites.html", sites=found, form=form)


def _settings(site: Website) -> dict[str, Any]:
    domains = [d.name for d in sorted(site.domains.all(), key=lambda d: (not d.is_primary, d.position, d.pk))]
    return {"domains": "\n".join(domains), "php": site.php, "https": site.https, "is_enabled": site.is_enabled}


def _site_page(request: HttpRequest, site: Website, **forms: Any) -> HttpResponse:
    return _page(
        request, "portal/web/site.html", site=site, certificate=getattr(site, "certificate", None),
        settings_form=forms.get("settings_form") or WebsiteSettingsForm(initial=_settings(site)),
        certificate_form=forms.get("certificate_form") or CertificateForm(),
    )  # fmt: skip


@login_required
def site(request: HttpRequest, pk: int) -> HttpResponse:
    found = _site(request, pk)
    form = WebsiteSettingsForm(request.POST or None, initial=_settings(found))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = attempt(
            request, form,
            lambda: website_update(website=found, domains=lines(data["domains"]), php=data["php"],
                                   https=data["https"], is_enabled=data["is_enabled"], actor=actor(request)),
            "The website is being changed.",
        )  # fmt: skip
        if done is not None:
            return redirect("portal:website", pk=pk)
    return _site_page(request, found, settings_form=form)


@login_required
@require_POST
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    found = _site(request, pk)
    form = CertificateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = attempt(
            request, form,
            lambda: website_certificate_set(website=found, certificate=data["certificate"], chain=data["chain"],
                                            key=data["key"], actor=actor(request)),
            "The certificate is stored.",
        )  # fmt: skip
        if done is not None:
            return redirect("portal:website", pk=pk)
    return _site_page(request, found, certificate_form=form)


@login_required
def site_remove(request: HttpRequest, pk: int) -> HttpResponse:
    found = _site(request, pk)
    if request.method == "POST":
        attempt(request, None, lambda: website_delete(website=found, actor=actor(request)),
                f"The website {found.name} is being deleted.")  # fmt: skip
        return redirect("portal:websites")
    consequence = "It stops being served and its names are freed; its files stay in your account's home."
    return _page(request, "portal/confirm_delete.html", what=f"the website {found.name}", consequence=consequence,
                 back=reverse("portal:website", args=[pk]))  # fmt: skip
