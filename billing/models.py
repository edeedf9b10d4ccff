"""Invoices, amendments (credit notes), fees and pro formas, their lines and the counters that number them.

A draft can be edited through the services; issuing numbers it and stores a snapshot of seller, buyer, lines
and totals, after which it never changes again: a mistake is corrected by an amendment.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q

from billing.choices import TRANSITIONS, InvoiceKind, InvoiceState, SubLineKind
from panel.core.errors import Conflict
from panel.core.models import TenantQuerySet, TimeStampedModel


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
