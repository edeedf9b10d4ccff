"""Ids and dates the database or the date arithmetic cannot hold are 400s naming the field, never 500s.

Found by fuzzing: an id of 2**63 overflowed in the database driver, a float id of 1e400 in Django's lookup, and
a billing run on 9999-12-31 in the date arithmetic (year 10000).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from rest_framework.test import APIClient

from billing.models import Invoice
from billing.services import invoice_create, invoice_issue, invoice_line_add
from panel.accounts.models import Account, User
from panel.orders.models import Order
from panel.servers.models import Server

pytestmark = pytest.mark.django_db

BEYOND_BIGINT = 2**63


@pytest.fixture
def issued(staff: User, account_a: Account, ordered: Order) -> Invoice:
    invoice = invoice_create(account=account_a, kind="invoice", actor=staff)
    invoice_line_add(invoice=invoice, description="Setup", quantity="1", unit_price="5", tax_rate="21", actor=staff)
    return invoice_issue(invoice=invoice, actor=staff, on=date(2024, 3, 1))


def post(client: APIClient, path: str, body: dict[str, Any] | str) -> Any:
    client.raise_request_exception = False
    if isinstance(body, str):
        return client.post(path, body, content_type="application/json")
    return client.post(path, body, format="json")


def assert_400(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content[:300]
    assert field in json.loads(response.content)["fields"], response.content[:300]


def test_sepa_batch_with_an_id_beyond_bigint(staff_client: APIClient) -> None:
    assert_400(post(staff_client, "/api/billing/sepa-batches/", {"transactions": [BEYOND_BIGINT]}), "transactions.0")


def test_amendment_with_a_line_id_beyond_bigint(staff_client: APIClient, issued: Invoice) -> None:
    response = post(staff_client, f"/api/invoices/{issued.pk}/amend/", {"lines": [BEYOND_BIGINT]})
    assert_400(response, "lines.0")


@pytest.mark.parametrize("value", ["1e400", "1.5", "-1", str(BEYOND_BIGINT)])
def test_related_ids_must_be_whole_numbers_in_range(
    client_a: APIClient, staff_client: APIClient, dns_servers: object, ordered: Order, value: str
) -> None:
    record = post(client_a, "/api/records/", f'{{"zone": {value}, "type": "A", "value": "192.0.2.1"}}')
    assert_400(record, "zone")
    run = post(staff_client, "/api/billing/run/", f'{{"date": "2024-04-01", "accounts": [{value}]}}')
    assert_400(run, "accounts")
    contact = post(client_a, "/api/contacts/", f'{{"account": {value}, "name": "N", "email": "n@elsewhere.org"}}')
    assert_400(contact, "account")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
def test_billing_run_dates_out_of_range(staff_client: APIClient, ordered: Order, day: str) -> None:
    assert_400(post(staff_client, "/api/billing/run/", {"date": day}), "date")
    assert_400(post(staff_client, "/api/billing/run/", {"date": day, "commit": True}), "date")
    assert not Invoice.objects.exists()


def test_billing_run_on_the_last_day_in_range_works(staff_client: APIClient, ordered: Order) -> None:
    response = post(staff_client, "/api/billing/run/", {"date": "2100-12-31"})
    assert response.status_code == 200, response.content[:300]


def test_every_date_the_api_takes_is_bounded(
    staff_client: APIClient, client_a: APIClient, issued: Invoice, mail_server: Server
) -> None:
    draft = invoice_create(account=issued.account, kind="invoice", actor=None)
    invoice_line_add(invoice=draft, description="More", quantity="1", unit_price="5", tax_rate="21", actor=None)
    assert_400(post(staff_client, f"/api/invoices/{draft.pk}/issue/", {"on": "9999-12-31"}), "on")
    assert Invoice.objects.get(pk=draft.pk).is_draft
    assert_400(post(staff_client, "/api/billing/debits/", {"due_on": "9999-12-31"}), "due_on")
    batch = {"transactions": [1], "collect_on": "9999-12-31"}
    assert_400(post(staff_client, "/api/billing/sepa-batches/", batch), "collect_on")
    mandate = {"method": "sepa_direct_debit", "iban": "NL91 ABNA 0417 1643 00", "signed_on": "0001-01-01"}
    assert_400(post(client_a, "/api/payment-sources/", mandate), "signed_on")
    box = post(client_a, "/api/mail/mailboxes/", {"name": "box", "password": "a-long-mailbox-password-1"})
    assert box.status_code == 201, box.content[:300]
    for field in ("start", "end"):
        reply = {"mailbox": box.json()["id"], "subject": "Away", "body": "Later", field: "9999-12-31"}
        assert_400(post(client_a, "/api/mail/autoresponses/", reply), field)
