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


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    SEPA_DIRECT_DEBIT = "sepa_direct_debit", "SEPA direct debit"


class TransactionState(models.TextChoices):
    WAITING = "waiting", "Waiting for export"
    PROCESSED = "processed", "Exported to the bank"
    EXECUTED = "executed", "Executed by the bank"
    SECURED = "secured", "Secured (no return possible)"
    REJECTED = "rejected", "Rejected"


# The life of a debit: set_state() refuses any transition not listed here. A debit is processed when it goes out
# in a SEPA batch, executed when the bank collects it, secured once the debtor can no longer return it.
TRANSACTION_TRANSITIONS: dict[str, frozenset[str]] = {
    TransactionState.WAITING: frozenset({TransactionState.PROCESSED}),
    TransactionState.PROCESSED: frozenset({TransactionState.EXECUTED, TransactionState.REJECTED}),
    TransactionState.EXECUTED: frozenset({TransactionState.SECURED, TransactionState.REJECTED}),
    TransactionState.SECURED: frozenset(),
    TransactionState.REJECTED: frozenset(),
}
OPEN_TRANSACTION_STATES = (TransactionState.WAITING, TransactionState.PROCESSED, TransactionState.EXECUTED)
