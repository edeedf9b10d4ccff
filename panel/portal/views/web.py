"""Websites: their domains, PHP, HTTPS mode and certificate."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from panel.portal.forms import CertificateForm, WebsiteForm, WebsiteSettingsForm, lines
from panel.portal.views.common import actor, attempt, confirm_delete, customer_account, page, visible
from panel.web.models import Website
from panel.web.selectors import website_list
from panel.web.services import website_certificate_set, website_create, website_delete, website_update


def _site(request: HttpRequest, pk: int) -> Website:
    return visible(website_list(actor=actor(request)), pk)


def _page(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    return page(request, template, "web", **context)


@login_required
def sites(request: HttpRequest) -> HttpResponse:
    form = WebsiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = customer_account(request)
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
    return confirm_delete(
        request, section="web", what=f"the website {found.name}",
        consequence="It stops being served and its names are freed; its files stay in your account's home.",
        back=reverse("portal:website", args=[pk]), delete=lambda: website_delete(website=found, actor=actor(request)),
        done=f"The website {found.name} is being deleted.", then=reverse("portal:websites"),
    )  # fmt: skip
