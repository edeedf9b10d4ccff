"""Staff admin actions: billing orders through a preview page, issuing and amending invoices, and exporting a
SEPA batch. Every action calls the billing services; a refused request shows an error message and changes
nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.http import HttpResponse
from django.test import Client

from billing.choices import InvoiceState, TransactionState
from billing.models import Invoice, Transaction
from billing.payments import debits_create, payment_source_create
from billing.services import invoice_create, invoice_issue, invoice_line_add
from panel.accounts.models import Account, User
from panel.accounts.services import contact_create
from panel.orders.models import Order
from panel.orders.services import order_update_for, service_create, today

pytestmark = pytest.mark.django_db

ORDERS = "/admin/orders/order/"
INVOICES = "/admin/billing/invoice/"
TRANSACTIONS = "/admin/billing/transaction/"


@pytest.fixture
def admin_client(client: Client, staff: User) -> Client:
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    return client


def _billing_contact(account: Account) -> None:
    contact_create(
        account=account, name="Accounts", email=f"accounts@{account.handle}-home.org", usages=["billing"], actor=None
    )


def _order(staff: User, account: Account) -> Order:
    service_create(
        description="Hosting",
        content_type="accounts.account",
        nominal_price="10.00",
        tax_rate="21",
        billing_point="fixed_day",
        actor=staff,
    )
    return order_update_for(obj=account, actor=None, on=date(2024, 3, 10))[0]


def _draft(account: Account, staff: User, price: str) -> Invoice:
    invoice = invoice_create(account=account, kind="fee", actor=staff)
    invoice_line_add(invoice=invoice, description="Setup", quantity="1", unit_price=price, actor=staff)
    return invoice


def _messages(response: HttpResponse) -> list[tuple[str, str]]:
    """The messages shown on the page the action led to (the changelist, after its redirect)."""
    return [(m.level_tag, m.message) for m in response.context["messages"]]  # type: ignore[attr-defined]


def _action(client: Client, url: str, action: str, objects: list[object], **extra: str) -> HttpResponse:
    data = {"action": action, "_selected_action": [obj.pk for obj in objects], **extra}  # type: ignore[attr-defined]
    return client.post(url, data, follow=True)  # type: ignore[return-value]


def test_bill_preview_shows_the_total_and_writes_nothing(admin_client: Client, staff: User, account_a: Account) -> None:
    _billing_contact(account_a)
    order = _order(staff, account_a)

    page = _action(admin_client, ORDERS, "bill_selected", [order])
    assert page.status_code == 200
    assert 'name="apply"' in page.content.decode()
    assert f'value="{today():%Y-%m-%d}"' in page.content.decode()  # the date defaults to today

    # 10.00 x 22/31 (Mar 10 - Apr 1) = 7.10; 21% tax 1.49; total 8.59
    page = _action(admin_client, ORDERS, "bill_selected", [order], date="2024-03-10", preview="1")
    text = page.content.decode()
    assert "8.59" in text and "7.10" in text and "1.49" in text
    assert "2024-03-10 &ndash; 2024-03-31" in text  # the period with its last day
    assert not Invoice.objects.exists()
    assert Order.objects.get(pk=order.pk).billed_until is None


def test_confirming_creates_the_draft(admin_client: Client, staff: User, account_a: Account) -> None:
    _billing_contact(account_a)
    order = _order(staff, account_a)

    response = _action(admin_client, ORDERS, "bill_selected", [order], date="2024-03-10", apply="Confirm")
    assert response.redirect_chain == [(ORDERS, 302)]  # type: ignore[attr-defined]
    assert ("success", "Created 1 draft invoice(s) up to 2024-03-10; review and issue them.") in _messages(response)
    [invoice] = Invoice.objects.all()
    assert invoice.is_draft and invoice.account == account_a
    assert [line.subtotal for line in invoice.lines.all()] == [Decimal("7.10")]
    assert Order.objects.get(pk=order.pk).billed_until == date(2024, 4, 1)


def test_billing_without_a_billing_contact_is_refused(admin_client: Client, staff: User, account_a: Account) -> None:
    order = _order(staff, account_a)

    page = _action(admin_client, ORDERS, "bill_selected", [order], date="2024-03-10", preview="1")
    assert "no billing contact" in page.content.decode()
    response = _action(admin_client, ORDERS, "bill_selected", [order], date="2024-03-10", apply="Confirm")
    [(level, text)] = _messages(response)
    assert level == "error" and "has no billing contact" in text
    assert not Invoice.objects.exists()
    assert Order.objects.get(pk=order.pk).billed_until is None


def test_a_bad_date_is_shown_on_the_preview(admin_client: Client, staff: User, account_a: Account) -> None:
    _billing_contact(account_a)
    order = _order(staff, account_a)
    page = _action(admin_client, ORDERS, "bill_selected", [order], date="soon", apply="Confirm")
    assert page.status_code == 200 and "Enter a valid date" in page.content.decode()
    assert not Invoice.objects.exists()


def test_issuing_drafts_numbers_them_and_reports_each_refusal(
    admin_client: Client, staff: User, account_a: Account, account_b: Account
) -> None:
    _billing_contact(account_a)
    first, second = _draft(account_a, staff, "10.00"), _draft(account_a, staff, "5.00")
    orphan = _draft(account_b, staff, "7.00")  # bob has no billing contact

    response = _action(admin_client, INVOICES, "issue_drafts", [first, orphan, second])
    year = today().year
    notes = _messages(response)
    assert ("success", f"Issued 2 invoice(s): C{year}-00001, C{year}-00002.") in notes
    assert any(level == "error" and str(orphan) in text and "billing contact" in text for level, text in notes)
    assert Invoice.objects.get(pk=first.pk).code == f"C{year}-00001"
    assert Invoice.objects.get(pk=second.pk).code == f"C{year}-00002"
    refused = Invoice.objects.get(pk=orphan.pk)
    assert refused.is_draft and refused.number is None

    again = _action(admin_client, INVOICES, "issue_drafts", [first])
    [(level, text)] = _messages(again)
    assert level == "error" and "amend it instead" in text


def test_amending_issued_invoices(admin_client: Client, staff: User, account_a: Account) -> None:
    _billing_contact(account_a)
    issued = invoice_issue(invoice=_draft(account_a, staff, "10.00"), actor=staff)
    draft = _draft(account_a, staff, "3.00")

    response = _action(admin_client, INVOICES, "amend_issued", [issued, draft])
    notes = _messages(response)
    assert any(level == "error" and "A draft is edited, not amended." in text for level, text in notes)
    assert any(level == "success" and "Amended 1 invoice(s)" in text for level, text in notes)
    assert Invoice.objects.get(pk=issued.pk).state == InvoiceState.AMENDED
    amendment = Invoice.objects.get(amends=issued)
    assert amendment.is_draft and [line.subtotal for line in amendment.lines.all()] == [Decimal("-10.00")]
    assert Invoice.objects.get(pk=draft.pk).is_draft


def test_sepa_export_downloads_the_batch(admin_client: Client, staff: User, account_a: Account) -> None:
    _billing_contact(account_a)
    invoices = [invoice_issue(invoice=_draft(account_a, staff, price), actor=staff) for price in ("10.00", "2.50")]
    payment_source_create(
        account=account_a,
        method="sepa_direct_debit",
        iban="DE89 3704 0044 0532 0130 00",
        signed_on=date(2024, 1, 15),
        actor=None,
    )
    debits = debits_create(due_on=date(2099, 1, 1), actor=staff)
    assert len(debits) == 2

    response = _action(admin_client, TRANSACTIONS, "export_sepa_batch", debits)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    batch = Transaction.objects.get(pk=debits[0].pk).batch
    assert response["Content-Disposition"] == f'attachment; filename="{batch}.xml"'
    xml = response.content.decode()
    assert xml.startswith("<?xml") and "CstmrDrctDbtInitn" in xml
    for invoice in invoices:
        assert f"Invoice {invoice.code}" in xml
    assert set(Transaction.objects.values_list("state", flat=True)) == {TransactionState.PROCESSED}

    again = _action(admin_client, TRANSACTIONS, "export_sepa_batch", debits)
    assert again.redirect_chain == [(TRANSACTIONS, 302)]  # type: ignore[attr-defined]
    [(level, text)] = _messages(again)
    assert level == "error" and "not waiting" in text
    assert set(Transaction.objects.values_list("batch", flat=True)) == {batch}


def test_recording_transfers_pays_issued_invoices_and_refuses_drafts(
    admin_client: Client, staff: User, account_a: Account
) -> None:
    _billing_contact(account_a)
    issued = invoice_issue(invoice=_draft(account_a, staff, "10.00"), actor=staff)
    draft = _draft(account_a, staff, "3.00")

    notes = _messages(_action(admin_client, INVOICES, "record_transfers", [issued, draft]))
    assert any(level == "error" and "draft" in text for level, text in notes), notes
    assert any(level == "success" and "Paid by transfer" in text and "10.00" in text for level, text in notes), notes
    assert Invoice.objects.get(pk=issued.pk).state == InvoiceState.PAID
    assert Transaction.objects.get(invoice=issued).state == TransactionState.SECURED
    assert not Transaction.objects.filter(invoice=draft).exists()
