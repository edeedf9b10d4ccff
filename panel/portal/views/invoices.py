"""Invoices (issued ones only: drafts are staff's), their PDFs and payments, and the account's payment methods."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

from billing.models import Invoice
from billing.selectors import invoice_list, payment_source_list, transaction_list
from panel.portal.views.common import actor, page, visible


def _invoice(request: HttpRequest, pk: int) -> Invoice:
    return visible(invoice_list(actor=actor(request)).exclude(state="draft"), pk)


def _page(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    return page(request, template, "invoices", **context)


@login_required
def invoices(request: HttpRequest) -> HttpResponse:
    found = (
        invoice_list(actor=actor(request)).exclude(state="draft").prefetch_related(None)
        .order_by("-issued_on", "-pk")[:500]
    )  # fmt: skip
    sources = payment_source_list(actor=actor(request)).order_by("-is_active", "-pk")
    return _page(request, "portal/invoices/invoices.html", invoices=found, sources=sources)


@login_required
def invoice(request: HttpRequest, pk: int) -> HttpResponse:
    found = _invoice(request, pk)
    payments = transaction_list(actor=actor(request)).filter(invoice=found).order_by("pk")
    return _page(request, "portal/invoices/invoice.html", invoice=found, payments=payments)


@login_required
def invoice_pdf(request: HttpRequest, pk: int) -> FileResponse:
    found = _invoice(request, pk)
    if not found.pdf:
        raise Http404("The PDF is rendered shortly after the invoice is issued.")
    return FileResponse(found.pdf.open("rb"), as_attachment=True, filename=f"{found.code}.pdf",
                        content_type="application/pdf")  # fmt: skip
