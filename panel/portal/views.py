"""Customer-facing pages. For now: session login and an overview of the account and its contacts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from panel.accounts.selectors import contact_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    contacts = contact_list(actor=request.user)
    return render(request, "portal/home.html", {"contacts": contacts})
