"""Customer-facing pages. For now: session login and an overview of the account and its contacts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from panel.accounts.selectors import contact_list
from panel.dns.selectors import zone_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {"contacts": contact_list(actor=request.user), "zones": zone_list(actor=request.user)[:200]}
    return render(request, "portal/home.html", context)
