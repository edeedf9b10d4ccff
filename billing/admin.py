"""Staff admin for invoices and payments: read-only. Drafts are made and issued through billing.services, an
issued invoice never changes, and mandates and debits change only through billing.payments."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from billing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceSubLine, PaymentSource, Transaction


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(ReadOnly, admin.TabularInline):  # type: ignore[type-arg]
    model = InvoiceLine
    fields = ("description", "period_start", "period_end", "quantity", "unit_price", "subtotal", "tax_rate")
    readonly_fields = fields
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "kind", "account", "state", "issued_on", "due_on")
    list_filter = ("kind", "state", "series")
    search_fields = ("account__handle", "number")
    list_select_related = ("account",)
    inlines = (LineInline,)


@admin.register(InvoiceSubLine)
class InvoiceSubLineAdmin(ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("description", "kind", "amount", "line")


@admin.register(InvoiceCounter)
class InvoiceCounterAdmin(ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("series", "year", "last_number")


@admin.register(PaymentSource)
class PaymentSourceAdmin(ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "account", "method", "mandate_reference", "signed_on", "is_active")
    list_filter = ("method", "is_active")
    search_fields = ("account__handle", "mandate_reference")
    list_select_related = ("account",)


@admin.register(Transaction)
class TransactionAdmin(ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "invoice", "amount", "state", "batch", "created_at")
    list_filter = ("state",)
    search_fields = ("invoice__account__handle", "batch")
    list_select_related = ("invoice",)
