"""Reads of invoices, scoped to what the actor may see: staff everything, customers their account's issued
documents (a draft is work in progress and is not shown to the customer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from billing.choices import InvoiceState
from billing.models import Invoice, InvoiceLine, PaymentSource, Transaction
from panel.core.models import is_staff_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import User


def invoice_list(*, actor: User | AnonymousUser) -> QuerySet[Invoice]:
    invoices = (
        Invoice.objects.visible_to(actor)
        .select_related("amends")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.prefetch_related("sublines")))
    )
    if not is_staff_user(actor):
        invoices = invoices.exclude(state=InvoiceState.DRAFT)
    return invoices


def payment_source_list(*, actor: User | AnonymousUser) -> QuerySet[PaymentSource]:
    return PaymentSource.objects.visible_to(actor).select_related("account")


def transaction_list(*, actor: User | AnonymousUser) -> QuerySet[Transaction]:
    return Transaction.objects.visible_to(actor).select_related("invoice", "source")
