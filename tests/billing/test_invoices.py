"""Billing orders into invoices with the database: previews change nothing, issuing numbers gaplessly per
series and year and freezes the invoice, and an issued invoice can only be amended."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Invoice
from billing.services import (
    bill_orders,
    invoice_amend,
    invoice_create,
    invoice_issue,
    invoice_line_add,
    invoice_totals,
    invoice_update,
)
from panel.accounts.models import Account, User
from panel.accounts.services import account_delete, contact_create
from panel.core.errors import Conflict, ValidationFailed
from panel.orders.models import Order
from panel.orders.services import contracted_plan_create, order_update_for, plan_create, rate_create, service_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed_account(account_a: Account) -> Account:
    contact_create(account=account_a, name="Accounts", email="accounts@alice-home.org", usages=["billing"], actor=None)
    return account_a


def _account_order(staff: User, account: Account, **fields: object) -> Order:
    service = service_create(
        description="Hosting", content_type="accounts.account", nominal_price="10.00", actor=staff, **fields
    )
    order = order_update_for(obj=account, actor=None, on=date(2024, 3, 10))[0]
    assert order.service == service
    return order


def test_preview_changes_nothing_and_commit_bills_once(staff: User, billed_account: Account) -> None:
    order = _account_order(staff, billed_account, tax_rate="21", billing_point="fixed_day")
    # 10.00 x 22/31 (Mar 10 - Apr 1) = 7.0967... -> 7.10; 21% of 7.10 = 1.491 -> 1.49; total 8.59
    [preview] = bill_orders(orders=[order], date=date(2024, 3, 10), actor=staff, commit=False)
    assert [line.subtotal for line in preview.lines] == [Decimal("7.10")]
    assert preview.totals.total == Decimal("8.59")
    assert not Invoice.objects.exists()
    assert Order.objects.get(pk=order.pk).billed_until is None

    [bill] = bill_orders(orders=[order], date=date(2024, 3, 10), actor=staff)
    assert bill.invoice is not None and bill.invoice.is_draft
    assert invoice_totals(bill.invoice).total == Decimal("8.59")
    assert Order.objects.get(pk=order.pk).billed_until == date(2024, 4, 1)
    [again] = bill_orders(orders=Order.objects.all(), date=date(2024, 3, 20), actor=staff)
    assert again.invoice is None and again.lines == ()


def test_billing_needs_a_billing_contact(staff: User, account_a: Account) -> None:
    order = _account_order(staff, account_a)
    with pytest.raises(ValidationFailed) as excinfo:
        bill_orders(orders=[order], date=date(2024, 3, 10), actor=staff)
    assert "account" in excinfo.value.fields
    assert not Invoice.objects.exists() and Order.objects.get(pk=order.pk).billed_until is None


def test_plan_rates_apply(staff: User, billed_account: Account) -> None:
    order = _account_order(staff, billed_account)
    plan = plan_create(name="Friends", actor=staff)
    rate_create(plan=plan, service=order.service, quantity="0", price="4.00", actor=staff)
    contracted_plan_create(account=billed_account, plan=plan, start_on=date(2024, 1, 1), actor=staff)
    [bill] = bill_orders(orders=[order], date=date(2024, 3, 10), actor=staff, commit=False)
    assert [line.subtotal for line in bill.lines] == [Decimal("4.00")]


def test_issue_numbers_gaplessly_and_freezes(staff: User, billed_account: Account) -> None:
    codes = []
    for _ in range(3):
        invoice = invoice_create(account=billed_account, kind="fee", actor=staff)
        invoice_line_add(invoice=invoice, description="Setup", quantity="1", unit_price="12.50", actor=staff)
        codes.append(invoice_issue(invoice=invoice, actor=staff, on=date(2024, 5, 2)).code)
    assert codes == ["C2024-00001", "C2024-00002", "C2024-00003"]
    issued = Invoice.objects.get(series="C", number=2)
    assert issued.snapshot["buyer"]["email"] == "accounts@alice-home.org"
    assert issued.snapshot["totals"]["total"] == "12.50"
    assert issued.due_on == date(2024, 6, 1)

    with pytest.raises(Conflict):
        invoice_line_add(invoice=issued, description="More", quantity="1", unit_price="1", actor=staff)
    with pytest.raises(Conflict):
        invoice_update(invoice=issued, due_on=date(2025, 1, 1), actor=staff)
    with pytest.raises(Conflict):
        invoice_issue(invoice=issued, actor=staff)
    assert Invoice.objects.get(pk=issued.pk).lines.count() == 1


def test_bad_lines_and_empty_invoices_are_refused(staff: User, billed_account: Account) -> None:
    invoice = invoice_create(account=billed_account, kind="fee", actor=staff)
    for values, field in [
        ({"quantity": "-1", "unit_price": "1"}, "quantity"),
        ({"quantity": "1", "unit_price": "-1"}, "unit_price"),
        ({"quantity": "one", "unit_price": "1"}, "quantity"),
        ({"quantity": "1", "unit_price": 0.1}, "unit_price"),
    ]:
        with pytest.raises(ValidationFailed) as excinfo:
            invoice_line_add(invoice=invoice, description="x", actor=staff, **values)
        assert field in excinfo.value.fields
    with pytest.raises(ValidationFailed):
        invoice_issue(invoice=invoice, actor=staff)
    assert Invoice.objects.get(pk=invoice.pk).number is None


def test_amending_an_issued_invoice(staff: User, billed_account: Account) -> None:
    invoice = invoice_create(account=billed_account, kind="invoice", actor=staff)
    # 3 x 0.35 = 1.05 at 21% -> tax 0.2205 -> 0.22; total 1.27
    invoice_line_add(invoice=invoice, description="Item", quantity="3", unit_price="0.35", tax_rate="21", actor=staff)
    invoice = invoice_issue(invoice=invoice, actor=staff, on=date(2024, 5, 2))
    assert invoice_totals(invoice).total == Decimal("1.27")

    amendment = invoice_amend(invoice=invoice, actor=staff)
    amendment = invoice_issue(invoice=amendment, actor=staff, on=date(2024, 5, 3))
    assert amendment.code == "A2024-00001" and amendment.amends == invoice
    assert invoice_totals(amendment).total == Decimal("-1.27")
    assert amendment.snapshot["amends"] == "F2024-00001"
    invoice.refresh_from_db()
    assert invoice.state == "amended" and invoice.snapshot["totals"]["total"] == "1.27"
    with pytest.raises(Conflict):
        invoice_amend(invoice=invoice, actor=staff)


def test_accounts_with_invoices_are_kept(staff: User, billed_account: Account) -> None:
    invoice_create(account=billed_account, kind="fee", actor=staff)
    assert account_delete(account=billed_account, actor=staff)[0]
    assert Account.objects.get(pk=billed_account.pk).is_deleted
