"""The customer's overview: how many of each service, what needs attention, the last invoices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from billing.choices import InvoiceState
from billing.selectors import invoice_list
from panel.accounts.selectors import contact_list
from panel.portal.state import KINDS
from panel.portal.views.common import is_read_only
from panel.provisioning.choices import ApplyState
from panel.web.models import Certificate

# The services counted on the overview, in the order shown, with the page that lists them (None: not yet built).
COUNTED = [
    ("zone", "DNS zones", "portal:zones"),
    ("record", "DNS records", "portal:zones"),
    ("maildomain", "Mail domains", "portal:mail"),
    ("mailbox", "Mailboxes", "portal:mail"),
    ("address", "Mail addresses", "portal:mail"),
    ("website", "Websites", "portal:websites"),
    ("systemuser", "System users", "portal:systemusers"),
    ("sshkey", "SSH keys", "portal:systemusers"),
]
CERTIFICATE_WARNING = timedelta(days=30)


def _counts(request: HttpRequest) -> list[dict[str, Any]]:
    """One query per service: how many, and how many failed."""
    rows = []
    for kind, label, url in COUNTED:
        found = (
            KINDS[kind](actor=request.user)
            .order_by()
            .aggregate(
                total=Count("pk", filter=Q(pending_delete=False)),
                failed=Count("pk", filter=Q(apply_state=ApplyState.FAILED)),
            )
        )
        rows.append({"kind": kind, "label": label, "url": url, **found})
    return rows


def _expiring(request: HttpRequest) -> list[Certificate]:
    soon = timezone.now() + CERTIFICATE_WARNING
    return list(
        Certificate.objects.visible_to(request.user)
        .filter(not_after__lte=soon)
        .select_related("website")
        .order_by("not_after")[:10]
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    counts = _counts(request)
    invoices = invoice_list(actor=request.user).exclude(state=InvoiceState.DRAFT).prefetch_related(None)
    context = {
        "section": "home",
        "read_only": is_read_only(request),
        "counts": counts,
        "failed": [row for row in counts if row["failed"]],
        "expiring": _expiring(request),
        "unpaid": list(invoices.filter(state=InvoiceState.ISSUED).order_by("due_on")[:10]),
        "invoices": list(invoices.order_by("-issued_on", "-pk")[:5]),
        "contacts": list(contact_list(actor=request.user)),
        "now": timezone.now(),
    }
    return render(request, "portal/dashboard.html", context)
