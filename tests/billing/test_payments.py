"""Payments: IBAN checks, SEPA mandates, debits and their transition table, and the pain.008 export validated
against the published ISO 20022 schema (pain.008.001.02.xsd, as shipped by the sepaxml package)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import product
from typing import Any

import pytest
from lxml import etree

from billing import sepa
from billing.choices import TRANSACTION_TRANSITIONS, InvoiceState, TransactionState
from billing.iban import mask_iban, validate_iban
from billing.models import Invoice, PaymentSource, Transaction
from billing.payments import (
    debits_create,
    payment_source_create,
    payment_source_update,
    sepa_batch_export,
    transaction_execute,
    transaction_reject,
    transaction_secure,
    transfer_record,
)
from billing.services import invoice_create, invoice_issue, invoice_line_add
from panel.accounts.models import Account, User
from panel.accounts.services import contact_create
from panel.core.errors import Conflict, Forbidden, ValidationFailed
from panel.orders.services import today

pytestmark = pytest.mark.django_db
NS = {"p": sepa.NAMESPACE}
IBAN_DE = "DE89 3704 0044 0532 0130 00"
IBAN_NL = "NL91ABNA0417164300"


def _issued(account: Account, staff: User, price: str, on: date) -> Invoice:
    if not account.contacts.filter(is_billing=True).exists():
        contact_create(
            account=account, name="Billing", email=f"billing@{account.handle}.org", usages=["billing"], actor=None
        )
    invoice = invoice_create(account=account, kind="fee", actor=staff)
    invoice_line_add(invoice=invoice, description="Setup", quantity="1", unit_price=price, actor=staff)
    return invoice_issue(invoice=invoice, actor=staff, on=on)


def _mandate(account: Account, iban: str = IBAN_DE, **kwargs: Any) -> PaymentSource:
    kwargs.setdefault("signed_on", date(2024, 1, 15))
    return payment_source_create(account=account, method="sepa_direct_debit", iban=iban, actor=None, **kwargs)


@pytest.mark.parametrize(
    "iban",
    [
        IBAN_DE,
        "gb82 west 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        IBAN_NL,
        "BE68539007547034",
        "ES9121000418450200051332",
        "AT611904300234573201",
        "IT60X0542811101000000123456",
        "NO9386011117947",
    ],
)
def test_valid_ibans_are_normalised(iban: str) -> None:
    normalised = validate_iban(iban)
    assert normalised == iban.replace(" ", "").upper()
    assert mask_iban(normalised).endswith(normalised[-4:]) and set(mask_iban(normalised)[:-4]) == {"*"}


@pytest.mark.parametrize(
    ("iban", "code"),
    [
        ("DE89370400440532013001", "iban"),  # one digit off: the checksum catches it
        ("DE8937040044053201300", "iban_length"),  # 21 characters, Germany has 22
        ("NL91ABNA04171643001", "iban_length"),
        ("US12345678901234567", "iban_country"),
        ("DE89-3704-0044-0532-0130-00", "iban_length"),
        ("", "required"),
    ],
)
def test_invalid_ibans_name_the_field(iban: str, code: str, account_a: Account) -> None:
    with pytest.raises(ValidationFailed) as error:
        _mandate(account_a, iban=iban)
    assert error.value.code == code and "iban" in error.value.fields
    assert not PaymentSource.objects.exists()


def test_a_new_mandate_replaces_the_active_one(account_a: Account, account_b: Account) -> None:
    first = _mandate(account_a, mandate_reference="ALICE-1")
    assert first.iban == "DE89370400440532013000" and first.is_active
    second = _mandate(account_a, iban=IBAN_NL)
    assert second.mandate_reference.startswith(f"BATON-{account_a.pk}-")
    first.refresh_from_db()
    assert not first.is_active and second.is_active
    with pytest.raises(Conflict) as error:
        _mandate(account_b, mandate_reference="ALICE-1")
    assert "mandate_reference" in error.value.fields
    with pytest.raises(Conflict):
        payment_source_update(source=first, is_active=True, actor=None)
    with pytest.raises(ValidationFailed) as bad:
        payment_source_update(source=second, iban="NL91ABNA0417164301", actor=None)
    assert "iban" in bad.value.fields
    assert PaymentSource.objects.get(pk=second.pk).iban == IBAN_NL
    with pytest.raises(ValidationFailed) as future:
        _mandate(account_b, signed_on=today() + timedelta(days=1))
    assert "signed_on" in future.value.fields


@pytest.mark.parametrize(("start", "target"), list(product(TransactionState.values, repeat=2)))
def test_transition_table(start: str, target: str) -> None:
    debit = Transaction(state=start)
    if target in TRANSACTION_TRANSITIONS[start]:
        debit.set_state(target)
        assert debit.state == target
    else:
        with pytest.raises(Conflict):
            debit.set_state(target)
        assert debit.state == start


def test_debits_are_created_once_and_only_under_an_active_mandate(
    staff: User, customer_a: User, account_a: Account, account_b: Account
) -> None:
    due_a = _issued(account_a, staff, "10.00", date(2024, 3, 1))  # due 2024-03-31
    later_a = _issued(account_a, staff, "7.00", date(2024, 5, 1))
    _issued(account_b, staff, "5.00", date(2024, 3, 1))  # B pays by bank transfer
    _mandate(account_a)
    payment_source_create(account=account_b, method="bank_transfer", actor=None)

    [debit] = debits_create(due_on=date(2024, 4, 1), actor=staff)
    assert (debit.invoice, debit.amount, debit.state) == (due_a, Decimal("10.00"), TransactionState.WAITING)
    assert debits_create(due_on=date(2024, 4, 1), actor=staff) == []
    assert [d.invoice for d in debits_create(due_on=date(2024, 6, 30), actor=staff)] == [later_a]
    assert Transaction.objects.count() == 2
    with pytest.raises(Forbidden):
        debits_create(due_on=date(2024, 6, 30), actor=customer_a)


def test_secured_debit_pays_the_invoice_rejected_one_reopens_it(staff: User, account_a: Account) -> None:
    first = _issued(account_a, staff, "10.00", date(2024, 3, 1))
    second = _issued(account_a, staff, "20.00", date(2024, 3, 1))
    _mandate(account_a)
    paid, bounced = debits_create(due_on=date(2024, 4, 1), actor=staff)
    with pytest.raises(Conflict):
        transaction_execute(transaction=paid, actor=staff)  # still waiting: it was never sent to the bank
    sepa_batch_export(transactions=[paid, bounced], actor=staff)

    transaction_execute(transaction=paid, actor=staff)
    secured = transaction_secure(transaction=paid, actor=staff)
    assert secured.state == TransactionState.SECURED and secured.secured_at is not None
    assert Invoice.objects.get(pk=first.pk).state == InvoiceState.PAID
    with pytest.raises(Conflict):
        transaction_reject(transaction=paid, actor=staff)

    transaction_execute(transaction=bounced, actor=staff)
    rejected = transaction_reject(transaction=bounced, actor=staff)
    assert rejected.state == TransactionState.REJECTED and rejected.rejected_at is not None
    assert Invoice.objects.get(pk=second.pk).state == InvoiceState.ISSUED
    # The re-opened invoice is collected again; the paid one is not.
    [again] = debits_create(due_on=date(2024, 4, 1), actor=staff)
    assert again.invoice_id == second.pk and again.pk != bounced.pk


def test_sepa_batch_validates_against_the_xsd(staff: User, account_a: Account, account_b: Account) -> None:
    a1 = _issued(account_a, staff, "10.00", date(2024, 3, 1))
    a2 = _issued(account_a, staff, "2.50", date(2024, 3, 2))
    b1 = _issued(account_b, staff, "99.99", date(2024, 3, 3))
    _mandate(account_a, mandate_reference="ALICE-1", bic="COBADEFFXXX")
    _mandate(account_b, iban=IBAN_NL, holder="Bob Holder")
    debits = debits_create(due_on=date(2024, 4, 30), actor=staff)

    xml = sepa_batch_export(transactions=debits, actor=staff, collect_on=today() + timedelta(days=3))

    assert sepa.pain008_errors(xml) == []
    doc = etree.fromstring(xml)
    assert doc.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert doc.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "112.49"
    amounts = [e.text for e in doc.iterfind(".//p:DrctDbtTxInf/p:InstdAmt", NS)]
    assert sorted(amounts) == ["10.00", "2.50", "99.99"]
    assert {e.get("Ccy") for e in doc.iterfind(".//p:InstdAmt", NS)} == {"EUR"}
    remittances = {e.text for e in doc.iterfind(".//p:RmtInf/p:Ustrd", NS)}
    assert remittances == {f"Invoice {invoice.code}" for invoice in (a1, a2, b1)}
    assert {e.text for e in doc.iterfind(".//p:SeqTp", NS)} == {"FRST", "RCUR"}  # A's second debit is recurrent
    assert "Bob Holder" in {e.text for e in doc.iterfind(".//p:Dbtr/p:Nm", NS)}
    assert {e.text for e in doc.iterfind(".//p:DbtrAgt//p:Id", NS)} == {"NOTPROVIDED"}  # B gave no BIC
    assert set(Transaction.objects.values_list("state", flat=True)) == {TransactionState.PROCESSED}
    assert len(set(Transaction.objects.values_list("batch", flat=True))) == 1

    with pytest.raises(Conflict) as twice:
        sepa_batch_export(transactions=debits, actor=staff)
    assert "transactions" in twice.value.fields


def test_broken_xml_is_reported_by_the_schema() -> None:
    debit = sepa.Debit(
        end_to_end_id="E2E",
        amount=Decimal("1.00"),
        mandate_id="M1",
        signed_on=date(2024, 1, 1),
        debtor_name="X",
        debtor_iban="not an iban",
        debtor_bic="",
        remittance="Invoice F1",
        sequence_type="FRST",
    )
    creditor = sepa.Creditor(name="C", iban="DE89370400440532013000", bic="", creditor_id="DE98ZZZ09999999999")
    xml = sepa.build_pain008(
        message_id="M",
        created_at=datetime(2024, 1, 1, 12),
        creditor=creditor,
        collect_on=date(2024, 1, 2),
        debits=[debit],
    )
    errors = sepa.pain008_errors(xml)
    assert errors and "IBAN" in errors[0]


def test_a_transfer_received_pays_the_invoice_once(staff: User, account_a: Account) -> None:
    invoice = _issued(account_a, staff, "12.10", date(2024, 3, 1))
    transfer = transfer_record(invoice=invoice, actor=staff)
    assert transfer.state == TransactionState.SECURED and transfer.amount == Decimal("12.10")
    assert transfer.source.method == "bank_transfer" and transfer.source.is_active  # the account had no source
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.PAID
    with pytest.raises(Conflict) as paid_twice:
        transfer_record(invoice=invoice, actor=staff)
    assert "invoice" in paid_twice.value.fields
    assert debits_create(due_on=date(2024, 4, 1), actor=staff) == []  # nothing left to collect


def test_a_transfer_beside_a_mandate_keeps_the_mandate_and_waits_for_an_open_debit(
    staff: User, customer_a: User, account_a: Account
) -> None:
    invoice = _issued(account_a, staff, "5.00", date(2024, 3, 1))
    mandate = _mandate(account_a)
    [debit] = debits_create(due_on=date(2024, 4, 1), actor=staff)
    with pytest.raises(Conflict) as on_its_way:
        transfer_record(invoice=invoice, actor=staff)
    assert on_its_way.value.code == "open_debit"
    sepa_batch_export(transactions=[debit], actor=staff)
    transaction_reject(transaction=debit, actor=staff)
    with pytest.raises(Forbidden):
        transfer_record(invoice=invoice, actor=customer_a)

    transfer = transfer_record(invoice=invoice, actor=staff)
    assert not transfer.source.is_active and PaymentSource.objects.get(pk=mandate.pk).is_active
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.PAID


def test_drafts_and_credit_notes_cannot_be_paid_by_transfer(staff: User, account_a: Account) -> None:
    draft = invoice_create(account=account_a, kind="fee", actor=staff)
    invoice_line_add(invoice=draft, description="Setup", quantity="1", unit_price="3.00", actor=staff)
    with pytest.raises(Conflict):
        transfer_record(invoice=draft, actor=staff)
    assert not Transaction.objects.filter(invoice=draft).exists()
