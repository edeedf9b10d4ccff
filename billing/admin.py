"""Staff admin for invoices: read-only. Drafts are made and issued through billing.services, and an issued
invoice never changes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from billing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceSubLine


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
