"""Shapes of the billing API. Invoices are read here and changed only through the billing services."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.iban import mask_iban
from billing.models import Invoice, InvoiceLine, InvoiceSubLine, PaymentSource, Transaction
from billing.services import invoice_totals
from panel.accounts.api.serializers import AccountOwnedSerializer
from panel.accounts.models import Account
from panel.core.api.fields import BoundedDateField, PrimaryKeyRelatedField, id_field


def money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)


def decimal4() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=4, read_only=True)


def percentage() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)


class InvoiceSubLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = InvoiceSubLine
        fields: ClassVar[list[str]] = ["kind", "description", "amount"]
        read_only_fields: ClassVar[list[str]] = fields


class InvoiceLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    sublines = InvoiceSubLineSerializer(many=True, read_only=True)

    class Meta:
        model = InvoiceLine
        fields: ClassVar[list[str]] = [
            "id",
            "order",
            "description",
            "period_start",
            "period_end",
            "quantity",
            "unit_price",
            "subtotal",
            "tax_rate",
            "sublines",
        ]
        read_only_fields: ClassVar[list[str]] = fields


class TaxTotalSerializer(serializers.Serializer):  # type: ignore[type-arg]
    rate = percentage()
    base = money()
    tax = money()


class TotalsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    by_rate = TaxTotalSerializer(many=True, read_only=True)
    base = money()
    tax = money()
    total = money()


class InvoiceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    code = serializers.CharField(read_only=True, help_text="Series, year and number; empty for a draft.")
    amends = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[var-annotated]
    lines = InvoiceLineSerializer(many=True, read_only=True)
    totals = serializers.SerializerMethodField()
    has_pdf = serializers.SerializerMethodField(help_text="The PDF can be downloaded from .../pdf/.")

    class Meta:
        model = Invoice
        fields: ClassVar[list[str]] = [
            "id",
            "code",
            "kind",
            "state",
            "account",
            "amends",
            "issued_on",
            "due_on",
            "lines",
            "totals",
            "has_pdf",
            "snapshot",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = fields

    @extend_schema_field(TotalsSerializer)
    def get_totals(self, invoice: Invoice) -> dict[str, Any]:
        """Issued: the totals frozen in the snapshot. Draft: computed from its current lines."""
        if invoice.snapshot is not None:
            totals: dict[str, Any] = invoice.snapshot["totals"]
            return totals
        return dict(TotalsSerializer(invoice_totals(invoice)).data)

    def get_has_pdf(self, invoice: Invoice) -> bool:
        return bool(invoice.pdf)


class InvoiceIssueSerializer(serializers.Serializer):  # type: ignore[type-arg]
    on = BoundedDateField(required=False, help_text="Issue date; today by default.")


class InvoiceAmendSerializer(serializers.Serializer):  # type: ignore[type-arg]
    lines = serializers.ListField(
        child=id_field(),
        required=False,
        allow_empty=False,
        help_text="Ids of the lines to credit; every line by default.",
    )


class BillingRunSerializer(serializers.Serializer):  # type: ignore[type-arg]
    date = BoundedDateField(help_text="Bill every day before this one (and prepaid periods starting by it).")
    accounts = PrimaryKeyRelatedField(
        queryset=Account.objects.all(), many=True, required=False, help_text="Every account with orders by default."
    )
    commit = serializers.BooleanField(default=False, help_text="False: a preview that writes nothing.")


class LineSerializer(serializers.Serializer):  # type: ignore[type-arg]
    order_id = serializers.IntegerField(read_only=True, allow_null=True)
    description = serializers.CharField(read_only=True)
    period_start = serializers.DateField(read_only=True)
    period_end = serializers.DateField(read_only=True)
    quantity = decimal4()
    unit_price = decimal4()
    subtotal = money()
    tax_rate = percentage()
    total = money()


class BillSerializer(serializers.Serializer):  # type: ignore[type-arg]
    account = serializers.IntegerField(source="account.pk", read_only=True)
    lines = LineSerializer(many=True, read_only=True)
    refunds = LineSerializer(many=True, read_only=True)
    totals = TotalsSerializer(read_only=True)


class BillingRunResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A run's counts; a preview also lists every account's bill, a commit the ids of the drafts it wrote."""

    date = serializers.DateField(source="summary.on", read_only=True)
    commit = serializers.BooleanField(source="summary.commit", read_only=True)
    accounts = serializers.IntegerField(
        source="summary.accounts", read_only=True, help_text="Accounts with orders billed (or previewed)."
    )
    invoices = serializers.IntegerField(
        source="summary.invoices", read_only=True, help_text="Draft invoices written (previewing: to be written)."
    )
    amendments = serializers.IntegerField(
        source="summary.amendments", read_only=True, help_text="Draft amendments for refunds, likewise."
    )
    skipped = serializers.IntegerField(
        source="summary.skipped",
        read_only=True,
        help_text="Accounts without a billing contact left out of a committed run over every account.",
    )
    total = serializers.DecimalField(
        source="summary.total", max_digits=14, decimal_places=2, read_only=True, help_text="Of the invoices."
    )
    bills = BillSerializer(many=True, read_only=True, help_text="Previewing: every account's bill. Empty on commit.")
    drafts = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Committing: ids of the draft invoices and amendments written. Empty in a preview.",
    )


class PaymentSourceSerializer(AccountOwnedSerializer):
    """A payment source; the IBAN is shown masked but for its last four characters."""

    iban = serializers.CharField(
        required=False, allow_blank=True, max_length=50, help_text="Spaces allowed; shown masked."
    )
    mandate_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=35, help_text="Generated for a SEPA mandate if omitted."
    )
    signed_on = BoundedDateField(required=False, allow_null=True, help_text="Today by default.")

    class Meta:
        model = PaymentSource
        fields: ClassVar[list[str]] = [
            "id",
            "account",
            "method",
            "holder",
            "iban",
            "bic",
            "mandate_reference",
            "signed_on",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["created_at", "updated_at"]
        validators: ClassVar[list[Any]] = []  # uniqueness is the service's (409 naming the field)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is None:
            attrs.pop("is_active", None)  # a new source is always the account's active one
        return attrs

    def to_representation(self, instance: PaymentSource) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["iban"] = mask_iban(instance.iban)
        return data


class TransactionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    invoice_code = serializers.CharField(source="invoice.code", read_only=True)
    account = serializers.IntegerField(source="invoice.account_id", read_only=True)

    class Meta:
        model = Transaction
        fields: ClassVar[list[str]] = [
            "id",
            "invoice",
            "invoice_code",
            "account",
            "source",
            "amount",
            "state",
            "batch",
            "created_at",
            "processed_at",
            "executed_at",
            "secured_at",
            "rejected_at",
        ]
        read_only_fields: ClassVar[list[str]] = fields


class DebitsCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    due_on = BoundedDateField(help_text="Debit every issued, unpaid invoice due on or before this day.")


class SepaBatchSerializer(serializers.Serializer):  # type: ignore[type-arg]
    transactions = serializers.ListField(child=id_field(), allow_empty=False, help_text="Ids of waiting transactions.")
    collect_on = BoundedDateField(required=False, help_text="Requested collection date; in a few days by default.")
