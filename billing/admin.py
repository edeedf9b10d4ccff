"""Staff admin for invoices and payments. The registrations are read-only: drafts are made and issued through
billing.services, an issued invoice never changes, and mandates and debits change only through
billing.payments. The actions below call those services with the staff user as actor; a refused request is
shown as an error message and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from billing.choices import TransactionState
from billing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceSubLine, PaymentSource, Transaction
from billing.payments import sepa_batch_export, transfer_record
from billing.services import invoice_amend, invoice_issue
from panel.accounts.models import User
from panel.core.admin import ReadOnly
from panel.core.errors import ApplicationError


def actor_of(request: HttpRequest) -> User:
    """The staff user of an admin request (the admin site admits only active staff)."""
    return cast(User, request.user)


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
    actions = ("issue_drafts", "amend_issued", "record_transfers")

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Invoice],
        service: Callable[..., Any],
        summary: Callable[[list[tuple[Invoice, Any]]], str],
    ) -> None:
        """Call `service` for each invoice in turn (oldest first): a refused one is reported, the others go on,
        and `summary` describes those done."""
        done = []
        for invoice in queryset.order_by("pk"):
            try:
                done.append((invoice, service(invoice=invoice, actor=actor_of(request))))
            except ApplicationError as error:
                self.message_user(request, f"{invoice}: {error.message}", messages.ERROR)
        if done:
            self.message_user(request, summary(done), messages.SUCCESS)

    @admin.action(description="Issue selected drafts")
    def issue_drafts(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        """Number and freeze each draft."""
        self._each(
            request,
            queryset,
            invoice_issue,
            lambda done: f"Issued {len(done)} invoice(s): {', '.join(issued.code for _, issued in done)}.",
        )

    @admin.action(description="Amend selected issued invoices")
    def amend_issued(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        """Credit each invoice in full with a draft amendment (series A), to be reviewed and issued."""
        self._each(
            request,
            queryset,
            invoice_amend,
            lambda done: f"Amended {len(done)} invoice(s): {', '.join(f'{old} -> {new}' for old, new in done)}.",
        )

    @admin.action(description="Record the total of selected invoices as received by bank transfer")
    def record_transfers(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        """Staff saw the money on the bank account: each invoice is paid by a secured transfer transaction."""
        self._each(
            request,
            queryset,
            transfer_record,
            lambda done: f"Paid by transfer: {', '.join(f'{invoice} ({t.amount})' for invoice, t in done)}.",
        )


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
    actions = ("export_sepa_batch",)

    @admin.action(description="Export selected debits as a SEPA batch")
    def export_sepa_batch(self, request: HttpRequest, queryset: QuerySet[Transaction]) -> HttpResponse | None:
        """The pain.008 file for the selected waiting debits, as a download; the debits become processed."""
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        try:
            xml = sepa_batch_export(transactions=ids, actor=actor_of(request))
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        batch = (
            Transaction.objects.filter(pk__in=ids, state=TransactionState.PROCESSED)
            .values_list("batch", flat=True)
            .first()
        )
        response = HttpResponse(xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{batch or "sepa-batch"}.xml"'
        return response
