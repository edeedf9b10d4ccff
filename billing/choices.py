from django.db import models


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    AMENDMENT = "amendment", "Amendment (credit note)"
    FEE = "fee", "Fee"
    PROFORMA = "proforma", "Pro forma"


class InvoiceState(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PAID = "paid", "Paid"
    AMENDED = "amended", "Amended"


class SubLineKind(models.TextChoices):
    DISCOUNT = "discount", "Discount"
    COMPENSATION = "compensation", "Compensation"


# Each kind is numbered in its own series unless the caller names another one.
DEFAULT_SERIES = {
    InvoiceKind.INVOICE: "F",
    InvoiceKind.AMENDMENT: "A",
    InvoiceKind.FEE: "C",
    InvoiceKind.PROFORMA: "P",
}

# The life of an invoice: set_state() refuses any transition not listed here.
TRANSITIONS: dict[str, frozenset[str]] = {
    InvoiceState.DRAFT: frozenset({InvoiceState.ISSUED}),
    InvoiceState.ISSUED: frozenset({InvoiceState.PAID, InvoiceState.AMENDED}),
    InvoiceState.PAID: frozenset({InvoiceState.AMENDED}),
    InvoiceState.AMENDED: frozenset(),
}
