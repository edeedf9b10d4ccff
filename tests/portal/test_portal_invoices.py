"""Invoices in the portal: issued ones listed with their state and totals, a detail with its lines, the PDF
downloaded (the real one weasyprint renders), drafts and other accounts' invoices not found."""

from __future__ import annotations

import pytest

from billing.delivery import invoice_pdf_store
from billing.services import invoice_create, invoice_issue, invoice_line_add
from panel.accounts.models import Account, User
from panel.accounts.services import contact_create
from tests.portal.test_portal_dns import browser

pytestmark = pytest.mark.django_db


def _invoice(account: Account, staff: User, price: str, *, issue: bool = True):  # type: ignore[no-untyped-def]
    if not account.contacts.filter(is_billing=True).exists():
        contact_create(account=account, name="Accounts", email=f"accounts@{account.handle}-home.org",
                       usages=["billing"], actor=None)  # fmt: skip
    invoice = invoice_create(account=account, kind="fee", actor=staff)
    invoice_line_add(invoice=invoice, description="Setup of the shop", quantity="1", unit_price=price, actor=staff)
    return invoice_issue(invoice=invoice, actor=staff) if issue else invoice


def test_issued_invoices_their_lines_and_their_pdf(account_a: Account, customer_a: User, staff: User) -> None:
    issued = invoice_pdf_store(invoice=_invoice(account_a, staff, "12.50"), actor=None)
    draft = _invoice(account_a, staff, "99.00", issue=False)
    client = browser(customer_a)
    listing = client.get("/invoices/").content.decode()
    assert issued.code in listing and "Issued" in listing and "99.00" not in listing
    detail = client.get(f"/invoices/{issued.pk}/").content.decode()
    assert "Setup of the shop" in detail and "total" in detail
    response = client.get(f"/invoices/{issued.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert f"{issued.code}.pdf" in response["Content-Disposition"]
    assert client.get(f"/invoices/{draft.pk}/").status_code == 404, "drafts are staff's"


def test_another_accounts_invoices_are_not_found(account_a: Account, customer_b: User, staff: User) -> None:
    issued = invoice_pdf_store(invoice=_invoice(account_a, staff, "12.50"), actor=None)
    other = browser(customer_b)
    for url in [f"/invoices/{issued.pk}/", f"/invoices/{issued.pk}/pdf/"]:
        assert other.get(url).status_code == 404, url
    assert issued.code not in other.get("/invoices/").content.decode()
