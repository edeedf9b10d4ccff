"""Invoices, amendments (credit notes), fees and pro formas, their lines and the counters that number them;
payment sources (SEPA mandates) and the transactions that collect invoices.

A draft can be edited through the services; issuing numbers it and stores a snapshot of seller, buyer, lines
and totals, after which it never changes again: a mistake is corrected by an amendment.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q

from billing.choices import (
    OPEN_TRANSACTION_STATES,
    TRANSACTION_TRANSITIONS,
    TRANSITIONS,
    InvoiceKind,
    InvoiceState,
    PaymentMethod,
    SubLineKind,
    TransactionState,
)
from panel.core.errors import Conflict
from panel.core.models import TenantQuerySet, TimeStampedModel
from panel.core.validators import validate_single_line


class Invoice(TimeStampedModel):
    """One billing document. `number` is empty until issued, then gapless within (series, year)."""

    kind = models.CharField(max_length=10, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    series = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    number = models.PositiveIntegerField(null=True, blank=True)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="invoices")
    amends = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments")
    state = models.CharField(max_length=8, choices=InvoiceState.choices, default=InvoiceState.DRAFT)
    issued_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    snapshot = models.JSONField(null=True, blank=True, editable=False)
    # Rendered from the snapshot after the issue commits; empty until the task has run.
    pdf = models.FileField(upload_to="invoices/%Y/", blank=True, editable=False)
    mailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    tenant_path: ClassVar[str] = "account"
    audit_exclude: ClassVar[tuple[str, ...]] = ("pdf",)  # a rendering of the snapshot, which is audited
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-pk"]
        # the API lists them per tenant in this order: the index serves the page without sorting every row
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["account", "-created_at", "-id"], name="billing_invoice_list_idx")
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["series", "year", "number"], condition=Q(number__isnull=False), name="billing_invoice_number"
            ),
            models.CheckConstraint(
                condition=Q(state=InvoiceState.DRAFT) | Q(number__isnull=False, issued_on__isnull=False),
                name="billing_invoice_issued_has_number",
            ),
        ]

    def __str__(self) -> str:
        return self.code or f"{self.get_kind_display()} draft #{self.pk}"

    @property
    def code(self) -> str:
        return f"{self.series}{self.year}-{self.number:05d}" if self.number is not None else ""

    @property
    def is_draft(self) -> bool:
        return self.state == InvoiceState.DRAFT

    def set_state(self, state: str) -> None:
        if state not in TRANSITIONS[self.state]:
            raise Conflict(f"An invoice that is {self.state} cannot become {state}.", field="state", code="state")
        self.state = state


class InvoiceLine(models.Model):
    """What one order (or a manual item) costs for one span: subtotal = quantity x unit price x share of the
    period covered, rounded half-up to the cent; the line's total also counts its sub-lines."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoice_lines"
    )
    description = models.CharField(max_length=300)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True, help_text="Exclusive: the first day not covered.")
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering: ClassVar[list[str]] = ["invoice", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.description}: {self.subtotal}"


class InvoiceSubLine(models.Model):
    """A reduction of a line (negative amount): a discount, or compensation by another order's unused time."""

    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="sublines")
    kind = models.CharField(max_length=12, choices=SubLineKind.choices)
    description = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    source_order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering: ClassVar[list[str]] = ["line", "pk"]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class InvoiceCounter(models.Model):
    """The last number given in a series and year. Issuing locks this row, so numbers are gapless and unique
    however many invoices are issued at once."""

    series = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["series", "year"], name="billing_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.series}{self.year}: {self.last_number}"


class PaymentSource(TimeStampedModel):
    """How an account pays: by bank transfer, or by SEPA direct debit under a signed mandate (IBAN, optional
    BIC, a unique mandate reference and its signature date). An account has at most one active source; a new
    one replaces it, so the old mandate stays on record for the debits made under it."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="payment_sources")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    holder = models.CharField(
        max_length=70,
        blank=True,
        validators=[validate_single_line],
        help_text="Account holder; the account's name if empty.",
    )
    iban = models.CharField(max_length=34, blank=True)
    bic = models.CharField(max_length=11, blank=True)
    mandate_reference = models.CharField(max_length=35, blank=True)
    signed_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    tenant_path: ClassVar[str] = "account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["account", "-created_at", "-pk"]
        # the API lists them per tenant in this order: the index serves the page without sorting every row
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["account", "-created_at", "-id"], name="billing_source_list_idx")
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["mandate_reference"], condition=~Q(mandate_reference=""), name="billing_mandate_reference"
            ),
            models.UniqueConstraint(
                fields=["account"], condition=Q(is_active=True), name="billing_one_active_payment_source"
            ),
            models.CheckConstraint(
                condition=~Q(method=PaymentMethod.SEPA_DIRECT_DEBIT)
                | (~Q(iban="") & ~Q(mandate_reference="") & Q(signed_on__isnull=False)),
                name="billing_sepa_source_complete",
            ),
        ]

    def __str__(self) -> str:
        if self.method == PaymentMethod.SEPA_DIRECT_DEBIT:
            return f"SEPA mandate {self.mandate_reference} ({self.account})"
        return f"Bank transfer ({self.account})"


class Transaction(TimeStampedModel):
    """One collection of an invoice from a payment source. Its state follows TRANSACTION_TRANSITIONS; an
    invoice has at most one open (waiting, processed or executed) transaction at a time."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="transactions")
    source = models.ForeignKey(PaymentSource, on_delete=models.PROTECT, related_name="transactions")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    state = models.CharField(max_length=10, choices=TransactionState.choices, default=TransactionState.WAITING)
    batch = models.CharField(max_length=35, blank=True, help_text="MsgId of the SEPA batch that exported it.")
    processed_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    secured_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)

    tenant_path: ClassVar[str] = "invoice__account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(state__in=OPEN_TRANSACTION_STATES), name="billing_one_open_transaction"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_transaction_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Debit {self.pk} of {self.invoice}: {self.amount}"

    @property
    def end_to_end_id(self) -> str:
        return f"BATON-TX-{self.pk}"

    def set_state(self, state: str) -> None:
        if state not in TRANSACTION_TRANSITIONS[self.state]:
            raise Conflict(f"A transaction that is {self.state} cannot become {state}.", field="state", code="state")
        self.state = state
