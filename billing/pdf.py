"""The PDF of an issued invoice, rendered with weasyprint from the invoice's snapshot alone: what was issued is
what is printed, whatever has changed in the database (prices, contacts, settings) since."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from billing.choices import InvoiceKind
from billing.models import Invoice
from panel.core.errors import Conflict


def _day(value: str | None) -> str:
    return date.fromisoformat(value).strftime("%d %b %Y") if value else ""


def _period(start: str | None, end: str | None) -> str:
    """Periods are stored half-open; the printed one names its last day."""
    if not start or not end:
        return ""
    last = date.fromisoformat(end) - timedelta(days=1)
    return f"{_day(start)} to {_day(last.isoformat())}"


def _quantity(value: str) -> str:
    """4 decimal places are stored; 2.5000 prints as 2.5 and 3.0000 as 3."""
    number = Decimal(value).normalize()
    return f"{number:f}"


def context(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Template data from a snapshot: only display formatting is added here, no amounts are computed."""
    lines = [
        {
            **line,
            "quantity": _quantity(line["quantity"]),
            "period": _period(line.get("period_start"), line.get("period_end")),
        }
        for line in snapshot["lines"]
    ]
    return {
        "invoice": snapshot,
        "title": InvoiceKind(snapshot["kind"]).label,
        "issued_on": _day(snapshot["issued_on"]),
        "due_on": _day(snapshot["due_on"]),
        "lines": lines,
        "payment_instructions": snapshot.get("payment_instructions", settings.BATON_BILLING_PAYMENT_INSTRUCTIONS),
    }


def invoice_pdf(invoice: Invoice) -> bytes:
    if invoice.snapshot is None:
        raise Conflict(f"{invoice} is not issued yet; only issued invoices have a PDF.", code="draft")
    from weasyprint import HTML  # a heavy import (pango, fonts): only the worker that renders pays for it

    html = render_to_string("billing/invoice.html", context(invoice.snapshot))
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
