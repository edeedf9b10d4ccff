"""The payments API: customers manage their own SEPA mandate (IBAN shown masked); staff create debits, export
SEPA batches and record what the bank reports. Bad input answers 4xx naming the field."""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree
from rest_framework.test import APIClient

from billing import sepa
from billing.choices import InvoiceState, TransactionState
from billing.models import Invoice, PaymentSource, Transaction
from billing.services import invoice_create, invoice_issue, invoice_line_add
from panel.accounts.models import Account, User
from panel.accounts.services import contact_create

pytestmark = pytest.mark.django_db
MANDATE = {"method": "sepa_direct_debit", "iban": "de89 3704 0044 0532 0130 00", "bic": "cobadeffxxx"}


@pytest.fixture
def issued(staff: User, account_a: Account) -> Invoice:
    contact_create(account=account_a, name="Billing", email="billing@alice-home.org", usages=["billing"], actor=None)
    invoice = invoice_create(account=account_a, kind="fee", actor=staff)
    invoice_line_add(invoice=invoice, description="Setup", quantity="2", unit_price="5.25", tax_rate="21", actor=staff)
    return invoice_issue(invoice=invoice, actor=staff, on=date(2024, 3, 1))


def test_customer_creates_and_updates_own_mandate(client_a: APIClient, client_b: APIClient, account_a: Account) -> None:
    created = client_a.post("/api/payment-sources/", MANDATE, format="json")
    assert created.status_code == 201, created.data
    assert created.data["iban"] == "******************3000" and created.data["bic"] == "COBADEFFXXX"
    assert created.data["account"] == account_a.pk and created.data["mandate_reference"]
    assert PaymentSource.objects.get().iban == "DE89370400440532013000"
    listed = client_a.get("/api/payment-sources/").data["results"]
    assert [row["iban"] for row in listed] == ["******************3000"]
    assert client_b.get("/api/payment-sources/").data["results"] == []

    pk = created.data["id"]
    updated = client_a.patch(f"/api/payment-sources/{pk}/", {"iban": "NL91ABNA0417164300"}, format="json")
    assert updated.status_code == 200 and updated.data["iban"].endswith("4300")
    moved = client_a.patch(f"/api/payment-sources/{pk}/", {"method": "bank_transfer"}, format="json")
    assert moved.status_code == 400 and "method" in moved.data["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**MANDATE, "iban": "DE89370400440532013001"}, "iban"),  # checksum
        ({**MANDATE, "iban": "DE8937040044053201300"}, "iban"),  # length
        ({**MANDATE, "iban": "XX89370400440532013000"}, "iban"),  # country
        ({**MANDATE, "iban": ""}, "iban"),
        ({**MANDATE, "bic": "NOTABIC"}, "bic"),
        ({**MANDATE, "signed_on": "2999-01-01"}, "signed_on"),
        ({**MANDATE, "mandate_reference": "bad*ref"}, "mandate_reference"),
        ({**MANDATE, "method": "cheque"}, "method"),
    ],
)
def test_bad_mandates_name_the_field(client_a: APIClient, body: dict[str, str], field: str) -> None:
    response = client_a.post("/api/payment-sources/", body, format="json")
    assert response.status_code == 400 and field in response.data["fields"], response.data
    assert not PaymentSource.objects.exists()


def test_duplicate_mandate_reference_is_a_conflict(client_a: APIClient, client_b: APIClient) -> None:
    body = {**MANDATE, "mandate_reference": "SHARED-1"}
    assert client_a.post("/api/payment-sources/", body, format="json").status_code == 201
    response = client_b.post("/api/payment-sources/", body, format="json")
    assert response.status_code == 409 and "mandate_reference" in response.data["fields"]


def test_staff_debits_exports_and_settles(staff_client: APIClient, client_a: APIClient, issued: Invoice) -> None:
    assert client_a.post("/api/payment-sources/", MANDATE, format="json").status_code == 201
    created = staff_client.post("/api/billing/debits/", {"due_on": "2024-04-01"}, format="json")
    assert created.status_code == 201 and [row["amount"] for row in created.data] == ["12.71"]  # 10.50 + 21 %
    assert staff_client.post("/api/billing/debits/", {"due_on": "2024-04-01"}, format="json").data == []
    debit = created.data[0]["id"]

    batch = staff_client.post("/api/billing/sepa-batches/", {"transactions": [debit]}, format="json")
    assert batch.status_code == 200 and batch["Content-Type"] == "application/xml"
    assert sepa.pain008_errors(batch.content) == []
    doc = etree.fromstring(batch.content)
    assert doc.findtext(".//{*}GrpHdr/{*}CtrlSum") == "12.71"
    assert doc.findtext(".//{*}RmtInf/{*}Ustrd") == f"Invoice {issued.code}"

    for step, state in (("execute", "executed"), ("secure", "secured")):
        response = staff_client.post(f"/api/transactions/{debit}/{step}/", format="json")
        assert response.status_code == 200 and response.data["state"] == state
    assert Invoice.objects.get(pk=issued.pk).state == InvoiceState.PAID
    listed = staff_client.get("/api/transactions/?state=secured").data["results"]
    assert [row["invoice_code"] for row in listed] == [issued.code]


def test_staff_bad_input(staff_client: APIClient, client_a: APIClient, issued: Invoice) -> None:
    bad_date = staff_client.post("/api/billing/debits/", {"due_on": "April"}, format="json")
    assert bad_date.status_code == 400 and "due_on" in bad_date.data["fields"]
    for body in ({"transactions": []}, {"transactions": [999999]}, {"transactions": "all"}, {}):
        response = staff_client.post("/api/billing/sepa-batches/", body, format="json")
        assert response.status_code == 400 and "transactions" in response.data["fields"], (body, response.data)

    assert client_a.post("/api/payment-sources/", MANDATE, format="json").status_code == 201
    [row] = staff_client.post("/api/billing/debits/", {"due_on": "2024-04-01"}, format="json").data
    past = staff_client.post(
        "/api/billing/sepa-batches/", {"transactions": [row["id"]], "collect_on": "2020-01-01"}, format="json"
    )
    assert past.status_code == 400 and "collect_on" in past.data["fields"]
    illegal = staff_client.post(f"/api/transactions/{row['id']}/secure/", format="json")
    assert illegal.status_code == 409 and illegal.data["code"] == "state"
    assert Transaction.objects.get().state == TransactionState.WAITING
    assert staff_client.post("/api/transactions/999999/execute/", format="json").status_code == 404


def test_staff_record_a_transfer_and_customers_cannot(
    staff_client: APIClient, client_a: APIClient, client_b: APIClient, issued: Invoice
) -> None:
    url = f"/api/invoices/{issued.pk}/transfer/"
    assert client_a.post(url, format="json").status_code == 403  # the customer sees the invoice but may not
    assert client_b.post(url, format="json").status_code == 403
    response = staff_client.post(url, format="json")
    assert response.status_code == 201, response.data
    assert response.data["state"] == "secured" and response.data["amount"] == "12.71"  # 2 x 5.25 + 21 %
    assert Invoice.objects.get(pk=issued.pk).state == InvoiceState.PAID
    again = staff_client.post(url, format="json")
    assert again.status_code == 409 and "invoice" in again.data["fields"]
    assert Transaction.objects.filter(invoice=issued).count() == 1
