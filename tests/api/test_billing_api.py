"""The billing API: customers read their own orders and issued invoices and download the PDF; staff issue,
amend and run billing. Bad input answers 4xx naming the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.core import mail
from rest_framework.test import APIClient

from billing.models import Invoice
from billing.services import invoice_create, invoice_line_add
from panel.accounts.models import Account, User
from panel.orders.models import Order
from panel.orders.services import order_update_for

pytestmark = pytest.mark.django_db
Capture = Callable[..., object]


@pytest.fixture
def draft(staff: User, account_a: Account, ordered: Order) -> Invoice:
    invoice = invoice_create(account=account_a, kind="invoice", actor=staff)
    invoice_line_add(invoice=invoice, description="Setup", quantity="2", unit_price="5.25", tax_rate="21", actor=staff)
    return invoice


def test_billing_run_preview_then_commit(staff_client: APIClient, ordered: Order) -> None:
    body = {"date": "2024-03-10", "accounts": [ordered.account_id], "commit": False}
    preview = staff_client.post("/api/billing/run/", body, format="json")
    assert preview.status_code == 200, preview.data
    [bill] = preview.data["bills"]
    # 10.00 x 22/31 (Mar 10 - Apr 1) = 7.10, no tax
    assert bill["account"] == ordered.account_id and [line["subtotal"] for line in bill["lines"]] == ["7.10"]
    assert bill["lines"][0]["period_start"] == "2024-03-10" and bill["totals"]["total"] == "7.10"
    assert (preview.data["accounts"], preview.data["invoices"], preview.data["total"]) == (1, 1, "7.10")
    assert preview.data["drafts"] == []
    assert not Invoice.objects.exists() and Order.objects.get(pk=ordered.pk).billed_until is None

    committed = staff_client.post("/api/billing/run/", {**body, "commit": True}, format="json")
    assert committed.status_code == 200 and committed.data["drafts"] == [Invoice.objects.get().pk]
    assert (committed.data["invoices"], committed.data["amendments"], committed.data["bills"]) == (1, 0, [])
    again = staff_client.post("/api/billing/run/", {"date": "2024-03-10", "commit": True}, format="json")
    assert again.status_code == 200 and again.data["drafts"] == []
    assert (again.data["accounts"], again.data["invoices"], again.data["total"]) == (1, 0, "0.00")
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2024-13-01"}, "date"),
        ({"date": "next tuesday"}, "date"),
        ({}, "date"),
        ({"date": "2024-03-10", "accounts": [999999]}, "accounts"),
        ({"date": "2024-03-10", "commit": "perhaps"}, "commit"),
    ],
)
def test_billing_run_bad_input(staff_client: APIClient, ordered: Order, body: dict[str, object], field: str) -> None:
    response = staff_client.post("/api/billing/run/", body, format="json")
    assert response.status_code == 400 and field in response.data["fields"], response.data
    assert response.data["detail"].startswith(f"{field}")
    assert not Invoice.objects.exists()


def test_billing_run_refuses_a_named_account_without_billing_contact(
    staff_client: APIClient, ordered: Order, account_b: Account
) -> None:
    order_update_for(obj=account_b, actor=None, on=date(2024, 3, 10))
    body = {"date": "2024-03-10", "accounts": [ordered.account_id, account_b.pk], "commit": True}
    response = staff_client.post("/api/billing/run/", body, format="json")
    assert response.status_code == 400 and "accounts" in response.data["fields"]
    assert not Invoice.objects.exists() and Order.objects.get(pk=ordered.pk).billed_until is None


def test_issue_renders_mails_and_customer_downloads(
    staff_client: APIClient,
    client_a: APIClient,
    client_b: APIClient,
    draft: Invoice,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    assert client_a.get("/api/invoices/").data["count"] == 0  # drafts are not shown to customers
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        issued = staff_client.post(f"/api/invoices/{draft.pk}/issue/", {"on": "2024-05-02"}, format="json")
    assert issued.status_code == 200, issued.data
    # 2 x 5.25 = 10.50; 21% = 2.205 -> 2.21; total 12.71
    assert issued.data["code"] == "F2024-00001" and issued.data["totals"]["total"] == "12.71"
    assert len(mail.outbox) == 1  # the PDF task ran when the issue committed

    [row] = client_a.get("/api/invoices/").data["results"]
    assert row["id"] == draft.pk and row["has_pdf"] and [line["description"] for line in row["lines"]] == ["Setup"]
    download = client_a.get(f"/api/invoices/{draft.pk}/pdf/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert client_b.get(f"/api/invoices/{draft.pk}/pdf/").status_code == 404

    again = staff_client.post(f"/api/invoices/{draft.pk}/issue/", {}, format="json")
    assert again.status_code == 409 and again.data["code"] == "immutable"


def test_issue_and_amend_bad_input(staff_client: APIClient, draft: Invoice) -> None:
    assert staff_client.get(f"/api/invoices/{draft.pk}/pdf/").status_code == 404  # a draft has no PDF
    bad_date = staff_client.post(f"/api/invoices/{draft.pk}/issue/", {"on": "soon"}, format="json")
    assert bad_date.status_code == 400 and "on" in bad_date.data["fields"]
    draft_amend = staff_client.post(f"/api/invoices/{draft.pk}/amend/", {}, format="json")
    assert draft_amend.status_code == 409

    assert staff_client.post(f"/api/invoices/{draft.pk}/issue/", {}, format="json").status_code == 200
    wrong_line = staff_client.post(f"/api/invoices/{draft.pk}/amend/", {"lines": [999999]}, format="json")
    assert wrong_line.status_code == 400 and "lines" in wrong_line.data["fields"]
    not_a_list = staff_client.post(f"/api/invoices/{draft.pk}/amend/", {"lines": "all"}, format="json")
    assert not_a_list.status_code == 400 and "lines" in not_a_list.data["fields"]
    amended = staff_client.post(f"/api/invoices/{draft.pk}/amend/", {}, format="json")
    assert amended.status_code == 201 and amended.data["kind"] == "amendment" and amended.data["state"] == "draft"
    assert amended.data["amends"] == "F" + str(date.today().year) + "-00001"
    assert amended.data["totals"]["total"] == "-12.71"
    assert staff_client.post(f"/api/invoices/{draft.pk}/amend/", {}, format="json").status_code == 409


def test_customers_see_only_their_orders(client_a: APIClient, client_b: APIClient, ordered: Order) -> None:
    [row] = client_a.get("/api/orders/").data["results"]
    assert row["id"] == ordered.pk and row["service"] == "Hosting" and row["registered_on"] == "2024-03-10"
    assert client_b.get("/api/orders/").data["count"] == 0
    assert client_b.get(f"/api/orders/{ordered.pk}/").status_code == 404
