"""Every write to payments: payment sources (SEPA mandates), direct debits and their lifecycle, SEPA batches,
bank transfers received.

A debit is a Transaction: created `waiting` for an issued, unpaid invoice whose account has an active SEPA
mandate, `processed` once exported in a pain.008 batch, then `executed` and `secured` (the invoice is paid) as
the bank reports back, or `rejected` (the invoice stays unpaid and is collected again by the next debit run).
A bank transfer is a Transaction recorded `secured` when staff see the money on the account: it cannot be
returned, so it has no earlier states.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db import transaction as db
from django.utils import timezone

from billing import sepa
from billing.choices import OPEN_TRANSACTION_STATES, InvoiceKind, InvoiceState, PaymentMethod, TransactionState
from billing.iban import validate_bic, validate_iban
from billing.models import Invoice, PaymentSource, Transaction
from billing.services import invoice_totals
from panel.accounts.models import Account, User
from panel.core.access import require_account_writable, require_staff
from panel.core.audit import record_change, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import Conflict, ValidationFailed
from panel.orders.services import today

SOURCE_EDITABLE = ("holder", "iban", "bic", "signed_on", "is_active")
# The characters the EPC allows in a mandate reference.
_MANDATE_REFERENCE = re.compile(r"[A-Za-z0-9+?/:().,' -]{1,35}")
_EXPORTED = (TransactionState.PROCESSED, TransactionState.EXECUTED, TransactionState.SECURED)


def _clean(obj: PaymentSource) -> None:
    try:
        obj.full_clean(validate_constraints=False)  # the constraints are checked with clearer messages below
    except DjangoValidationError as error:
        raise ValidationFailed.from_django(error) from error


# Payment sources -------------------------------------------------------------------------------------------


def _check_sepa(source: PaymentSource) -> None:
    source.iban = validate_iban(source.iban)
    source.bic = validate_bic(source.bic)
    if source.signed_on is None:
        raise ValidationFailed("A SEPA mandate needs its signature date.", field="signed_on", code="required")
    if source.signed_on > today():
        raise ValidationFailed("A mandate cannot be signed in the future.", field="signed_on")
    if not _MANDATE_REFERENCE.fullmatch(source.mandate_reference):
        raise ValidationFailed(
            "A mandate reference has 1 to 35 letters, digits, spaces or + ? / - : ( ) . , '",
            field="mandate_reference",
        )
    duplicate = PaymentSource.objects.filter(mandate_reference=source.mandate_reference).exclude(pk=source.pk)
    if duplicate.exists():
        raise Conflict(f"The mandate reference {source.mandate_reference} is already used.", field="mandate_reference")


@db.atomic
def payment_source_create(
    *,
    account: Account,
    method: str,
    actor: User | None,
    holder: str = "",
    iban: str = "",
    bic: str = "",
    mandate_reference: str = "",
    signed_on: date | None = None,
) -> PaymentSource:
    """Record how an account pays. The new source replaces the account's active one (kept, inactive, for the
    debits made under it). A SEPA mandate gets a generated reference unless one is given, signed today unless
    a date is given."""
    require_account_writable(actor, account)
    Account.objects.select_for_update().get(pk=account.pk)  # one active source per account, also under races
    if method not in PaymentMethod.values:
        raise ValidationFailed(f"Unknown payment method '{method}'.", field="method")
    source = PaymentSource(account=account, method=method, holder=holder.strip())
    if method == PaymentMethod.SEPA_DIRECT_DEBIT:
        source.iban, source.bic, source.signed_on = iban, bic, signed_on or today()
        source.mandate_reference = mandate_reference.strip() or f"BATON-{account.pk}-{secrets.token_hex(4).upper()}"
        _check_sepa(source)
    _clean(source)
    for previous in PaymentSource.objects.filter(account=account, is_active=True):
        before = snapshot(previous)
        previous.is_active = False
        previous.save(update_fields=["is_active", "updated_at"])
        record_change(actor=actor, action=ChangeAction.UPDATE, obj=previous, before=before, after=snapshot(previous))
    try:
        with db.atomic():
            source.save()
    except IntegrityError as error:  # another account took the reference between the check and the save
        raise Conflict(
            f"The mandate reference {source.mandate_reference} is already used.", field="mandate_reference"
        ) from error
    record_change(actor=actor, action=ChangeAction.CREATE, obj=source, after=snapshot(source))
    return source


@db.atomic
def payment_source_update(*, source: PaymentSource, actor: User | None, **changes: Any) -> PaymentSource:
    """Change the holder, IBAN, BIC or signature date of a source, or (de)activate it. Method, account and
    mandate reference never change: a new mandate is a new source."""
    require_account_writable(actor, source.account)
    Account.objects.select_for_update().get(pk=source.account_id)
    source = PaymentSource.objects.get(pk=source.pk)
    if "account" in changes and changes.pop("account").pk != source.account_id:
        raise ValidationFailed("A payment source cannot move to another account.", field="account")
    for name in ("method", "mandate_reference"):
        if name in changes and changes.pop(name) != getattr(source, name):
            raise ValidationFailed(f"The {name} of a payment source cannot change; create a new one.", field=name)
    unknown = sorted(set(changes) - set(SOURCE_EDITABLE))
    if unknown:
        raise ValidationFailed(f"Unknown payment source field '{unknown[0]}'.", field=unknown[0])
    before = snapshot(source)
    for name, value in changes.items():
        setattr(source, name, value.strip() if isinstance(value, str) else value)
    if changes.get("is_active") and not before["is_active"]:
        active = PaymentSource.objects.filter(account=source.account, is_active=True).exclude(pk=source.pk)
        if active.exists():
            raise Conflict("The account already has an active payment source.", field="is_active")
    if source.method == PaymentMethod.SEPA_DIRECT_DEBIT:
        _check_sepa(source)
    _clean(source)
    source.save()
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=source, before=before, after=snapshot(source))
    return source


# Debits ----------------------------------------------------------------------------------------------------


@db.atomic
def debits_create(*, due_on: date, actor: User | None) -> list[Transaction]:
    """A waiting debit for every issued, unpaid invoice due by `due_on` whose account has an active SEPA mandate,
    unless the invoice already has an open debit. Running it twice creates nothing the second time."""
    require_staff(actor, "create debits")
    invoices = (
        Invoice.objects.select_for_update(of=("self",))
        .filter(state=InvoiceState.ISSUED, kind__in=(InvoiceKind.INVOICE, InvoiceKind.FEE), due_on__lte=due_on)
        .exclude(transactions__state__in=OPEN_TRANSACTION_STATES)
        .order_by("due_on", "pk")
    )
    mandates = {
        source.account_id: source
        for source in PaymentSource.objects.filter(is_active=True, method=PaymentMethod.SEPA_DIRECT_DEBIT)
    }
    created = []
    for invoice in invoices:
        source = mandates.get(invoice.account_id)
        amount = invoice_totals(invoice).total
        if source is None or amount <= 0:
            continue
        debit = Transaction.objects.create(invoice=invoice, source=source, amount=amount)
        record_change(actor=actor, action=ChangeAction.CREATE, obj=debit, after=snapshot(debit))
        created.append(debit)
    return created


def _transition(debit: Transaction, state: str, actor: User | None) -> Transaction:
    require_staff(actor, "change transactions")
    debit = Transaction.objects.select_for_update().select_related("invoice").get(pk=debit.pk)
    before = snapshot(debit)
    debit.set_state(state)
    setattr(debit, f"{state}_at", timezone.now())
    debit.save()
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=debit, before=before, after=snapshot(debit))
    return debit


@db.atomic
def transaction_execute(*, transaction: Transaction, actor: User | None) -> Transaction:
    """The bank collected the debit; the debtor may still return it."""
    return _transition(transaction, TransactionState.EXECUTED, actor)


@db.atomic
def transaction_secure(*, transaction: Transaction, actor: User | None) -> Transaction:
    """The debit can no longer be returned: its invoice is paid (an invoice amended meanwhile stays amended)."""
    debit = _transition(transaction, TransactionState.SECURED, actor)
    invoice = Invoice.objects.select_for_update().get(pk=debit.invoice_id)
    if invoice.state == InvoiceState.ISSUED:
        _mark_paid(invoice, actor)
    return debit


def _mark_paid(invoice: Invoice, actor: User | None) -> None:
    before = snapshot(invoice)
    invoice.set_state(InvoiceState.PAID)
    invoice.save(update_fields=["state", "updated_at"])
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=invoice, before=before, after=snapshot(invoice))


def _transfer_source(account: Account, actor: User | None) -> PaymentSource:
    """The account's bank-transfer source; a new one if it has none (active only when the account has no
    active source: a customer with a mandate may still pay one invoice by transfer)."""
    sources = PaymentSource.objects.filter(account=account, method=PaymentMethod.BANK_TRANSFER)
    source = sources.order_by("-is_active", "-created_at", "-pk").first()
    if source is None:
        has_active = PaymentSource.objects.filter(account=account, is_active=True).exists()
        source = PaymentSource.objects.create(
            account=account, method=PaymentMethod.BANK_TRANSFER, is_active=not has_active
        )
        record_change(actor=actor, action=ChangeAction.CREATE, obj=source, after=snapshot(source))
    return source


@db.atomic
def transfer_record(*, invoice: Invoice, actor: User | None) -> Transaction:
    """Staff saw the invoice's total arrive by bank transfer: a secured transaction, and the invoice is paid.
    Only an issued, unpaid invoice or fee without an open direct debit can be paid this way (a debit on its way
    would collect it twice); partial payments are not recorded."""
    require_staff(actor, "record transfers")
    invoice = Invoice.objects.select_for_update().select_related("account").get(pk=invoice.pk)
    if invoice.kind not in (InvoiceKind.INVOICE, InvoiceKind.FEE) or invoice.state != InvoiceState.ISSUED:
        raise Conflict(
            f"Only an issued, unpaid invoice or fee can be paid; this {invoice.kind} is {invoice.state}.",
            field="invoice",
            code="state",
        )
    if invoice.transactions.filter(state__in=OPEN_TRANSACTION_STATES).exists():
        raise Conflict(
            "The invoice has a direct debit on its way; reject it first.", field="invoice", code="open_debit"
        )
    amount = invoice_totals(invoice).total
    if amount <= 0:
        raise Conflict("Nothing is due on this invoice.", field="invoice", code="nothing_due")
    now = timezone.now()
    transfer = Transaction.objects.create(
        invoice=invoice,
        source=_transfer_source(invoice.account, actor),
        amount=amount,
        state=TransactionState.SECURED,
        executed_at=now,
        secured_at=now,
    )
    record_change(actor=actor, action=ChangeAction.CREATE, obj=transfer, after=snapshot(transfer))
    _mark_paid(invoice, actor)
    return transfer


@db.atomic
def transaction_reject(*, transaction: Transaction, actor: User | None) -> Transaction:
    """The bank or the debtor refused the debit. Its invoice is open again: issued, unpaid and without an open
    debit, so the next `debits_create` collects it anew."""
    return _transition(transaction, TransactionState.REJECTED, actor)


# SEPA batches ----------------------------------------------------------------------------------------------


def creditor_from_settings() -> sepa.Creditor:
    data = settings.BATON_SEPA_CREDITOR
    return sepa.Creditor(
        name=data["name"],
        iban=validate_iban(data["iban"], field="creditor"),
        bic=validate_bic(data.get("bic", ""), field="creditor"),
        creditor_id=data["creditor_id"],
    )


def _locked_waiting(ids: Sequence[int]) -> list[Transaction]:
    if not ids:
        raise ValidationFailed("Name at least one transaction to export.", field="transactions", code="required")
    rows = Transaction.objects.select_for_update(of=("self",)).select_related("source", "invoice__account")
    debits = list(rows.filter(pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {debit.pk for debit in debits})
    if missing:
        raise ValidationFailed(f"There is no transaction {missing[0]}.", field="transactions")
    for debit in debits:
        if debit.state != TransactionState.WAITING:
            raise Conflict(f"Transaction {debit.pk} is {debit.state}, not waiting.", field="transactions")
    return debits


def _debit_of(debit: Transaction, sequence_type: str) -> sepa.Debit:
    source = debit.source
    assert source.signed_on is not None  # the SEPA source constraint guarantees it
    return sepa.Debit(
        end_to_end_id=debit.end_to_end_id,
        amount=debit.amount,
        mandate_id=source.mandate_reference,
        signed_on=source.signed_on,
        debtor_name=source.holder or debit.invoice.account.name,
        debtor_iban=source.iban,
        debtor_bic=source.bic,
        remittance=f"Invoice {debit.invoice.code}",
        sequence_type=sequence_type,
    )


@db.atomic
def sepa_batch_export(
    *,
    transactions: Sequence[Transaction | int],
    actor: User | None,
    creditor: sepa.Creditor | None = None,
    collect_on: date | None = None,
) -> bytes:
    """The pain.008.001.02 XML collecting the given waiting debits, checked against the XSD; the debits become
    processed. A mandate's first exported debit is FRST, later ones RCUR (a rejected first debit does not
    count, so the next one is FRST again)."""
    require_staff(actor, "export SEPA batches")
    debits = _locked_waiting([item if isinstance(item, int) else item.pk for item in transactions])
    creditor = creditor or creditor_from_settings()
    collect_on = collect_on or today() + timedelta(days=settings.BATON_SEPA_LEAD_DAYS)
    if collect_on < today():
        raise ValidationFailed("The collection date is in the past.", field="collect_on")
    now = timezone.now()
    message_id = f"BATON{now:%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"
    exported = set(
        Transaction.objects.filter(source__in={debit.source_id for debit in debits}, state__in=_EXPORTED)
        .values_list("source_id", flat=True)
        .distinct()
    )
    entries = []
    for debit in debits:
        entries.append(_debit_of(debit, "RCUR" if debit.source_id in exported else "FRST"))
        exported.add(debit.source_id)
    xml = sepa.build_pain008(
        message_id=message_id, created_at=now, creditor=creditor, collect_on=collect_on, debits=entries
    )
    errors = sepa.pain008_errors(xml)
    if errors:
        raise ValidationFailed(f"The batch does not match pain.008.001.02: {errors[0]}", field="transactions")
    for debit in debits:
        before = snapshot(debit)
        debit.set_state(TransactionState.PROCESSED)
        debit.processed_at, debit.batch = now, message_id
        debit.save()
        record_change(actor=actor, action=ChangeAction.UPDATE, obj=debit, before=before, after=snapshot(debit))
    return xml
