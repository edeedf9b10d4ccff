"""Pinned query counts of every list endpoint (NetBox-style): a page of 1, of 5 and of 12 objects costs the
same queries, and that number is written down here, so an N+1 (a serializer field or a property reading a
relation per row) or an extra lookup fails this test instead of showing up at 10,000 objects.

Counts are of a steady-state request with an API token (its use was recorded by the request before), and
include the token lookup. A list of change sets of a customer, say: the token, the count, the page, and the
customer's items of those change sets (prefetched).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from panel.accounts.models import Account, User
from panel.servers.models import Server
from tests.factories.bulk import fill_customer, fill_history

pytestmark = pytest.mark.django_db
OBJECTS = 12
PAGE_SIZES = (1, 5, OBJECTS)

CUSTOMER = {
    "/api/contacts/": 3,
    "/api/tokens/": 3,
    "/api/zones/": 3,
    "/api/records/": 3,
    "/api/mail/domains/": 3,
    "/api/mail/mailboxes/": 3,
    "/api/mail/addresses/": 4,
    "/api/mail/autoresponses/": 3,
    "/api/changesets/": 4,
    "/api/orders/": 3,
    "/api/invoices/": 5,
    "/api/payment-sources/": 3,
}
STAFF = {
    **CUSTOMER,
    "/api/changesets/": 5,
    "/api/runs/": 3,
    "/api/accounts/": 4,
    "/api/transactions/": 3,
    "/api/servers/": 3,
    "/api/placements/": 3,
}


@pytest.fixture
def filled(
    account_a: Account, customer_a: User, staff: User, dns_servers: tuple[Server, Server], mail_server: Server
) -> None:
    fill_customer(account_a, customer_a, count=OBJECTS, dns_server=dns_servers[0], mail_server=mail_server)
    fill_customer(account_a, staff, count=OBJECTS, dns_server=dns_servers[0], mail_server=mail_server, prefix="staff")
    fill_history(server=dns_servers[0], count=OBJECTS * 2, account=account_a, every=2)


def _queries(client: APIClient, path: str, page_size: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{path}?page_size={page_size}")
    assert response.status_code == 200, response.data
    assert len(response.data["results"]) == min(page_size, response.data["count"])
    return len(captured)


def _counts(client: APIClient, path: str) -> list[int]:
    client.get(path)  # records the token's use: a write the following requests skip
    return [_queries(client, path, size) for size in PAGE_SIZES]


@pytest.mark.parametrize(("path", "expected"), CUSTOMER.items())
def test_customer_list_queries_are_pinned(filled: None, client_a: APIClient, path: str, expected: int) -> None:
    assert _counts(client_a, path) == [expected] * len(PAGE_SIZES)


@pytest.mark.parametrize(("path", "expected"), STAFF.items())
def test_staff_list_queries_are_pinned(filled: None, staff_client: APIClient, path: str, expected: int) -> None:
    assert _counts(staff_client, path) == [expected] * len(PAGE_SIZES)


def test_zone_record_count_counts_live_records_of_the_page(filled: None, client_a: APIClient) -> None:
    from panel.dns.models import Record, Zone

    zone = Zone.objects.filter(account__handle="alice").order_by("name").first()
    assert zone is not None
    Record.objects.create(zone=zone, name="gone", type="A", value="192.0.2.9", pending_delete=True)
    Record.objects.create(zone=zone, name="mail", type="A", value="192.0.2.8")
    empty = Zone.objects.filter(account__handle="alice").order_by("name").last()
    assert empty is not None
    empty.records.all().delete()
    counts = {row["name"]: row["record_count"] for row in client_a.get("/api/zones/?page_size=500").data["results"]}
    assert counts[zone.name] == 2 and counts[empty.name] == 0
    assert sum(counts.values()) == OBJECTS * 2 + 1 - 1


def test_a_deep_page_is_the_same_rows_in_the_same_order(
    staff_client: APIClient, dns_servers: tuple[Server, Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past DEEP_OFFSET a page reads its ids first, then their rows: the same page as a plain OFFSET."""
    from panel.core.api import pagination

    fill_history(server=dns_servers[0], count=30)
    shallow = [staff_client.get(f"/api/runs/?page_size=7&page={page}").data for page in (3, 5)]
    monkeypatch.setattr(pagination, "DEEP_OFFSET", 1)
    deep = [staff_client.get(f"/api/runs/?page_size=7&page={page}").data for page in (3, 5)]
    assert deep == shallow and [len(page["results"]) for page in deep] == [7, 2]
    with CaptureQueriesContext(connection) as captured:
        staff_client.get("/api/runs/?page_size=7&page=3")
    assert len(captured) == STAFF["/api/runs/"] + 1


def test_a_deep_page_of_a_customer_holds_only_its_own_rows(
    filled: None,
    client_a: APIClient,
    account_b: Account,
    customer_b: User,
    dns_servers: tuple[Server, Server],
    mail_server: Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deferred join fetches the page's rows by id alone: the ids must come through the tenant's filter."""
    from panel.core.api import pagination

    fill_customer(
        account_b, customer_b, count=OBJECTS, dns_server=dns_servers[0], mail_server=mail_server, prefix="bob"
    )

    def pages(path: str) -> list[list[int]]:
        return [[row["id"] for row in client_a.get(f"{path}?page_size=5&page={n}").data["results"]] for n in (2, 3)]

    for path in ("/api/zones/", "/api/records/", "/api/mail/addresses/", "/api/changesets/"):
        shallow = pages(path)
        monkeypatch.setattr(pagination, "DEEP_OFFSET", 1)
        assert pages(path) == shallow and all(shallow), path
        monkeypatch.setattr(pagination, "DEEP_OFFSET", 2000)
    own = {row["id"] for row in client_a.get("/api/zones/?page_size=500").data["results"]}
    monkeypatch.setattr(pagination, "DEEP_OFFSET", 1)
    seen = {row["id"] for n in range(1, 6) for row in client_a.get(f"/api/zones/?page_size=5&page={n}").data["results"]}
    assert seen == own and len(own) == OBJECTS * 2


def test_a_customers_change_sets_are_counted_and_paged_through_its_items(
    filled: None,
    client_a: APIClient,
    customer_a: User,
    account_b: Account,
    customer_b: User,
    dns_servers: tuple[Server, Server],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The unfiltered list takes its count and deep ids from the items' index: the same rows, count and order as
    the list itself, and none of another account's change sets."""
    from panel.core.api import pagination
    from panel.provisioning.selectors import change_set_list

    fill_history(server=dns_servers[0], count=OBJECTS, account=account_b, every=1)
    expected = list(change_set_list(actor=customer_a).values_list("pk", flat=True))
    theirs = set(change_set_list(actor=customer_b).values_list("pk", flat=True))
    assert expected == sorted(expected, reverse=True) and theirs - set(expected)
    monkeypatch.setattr(pagination, "DEEP_OFFSET", 1)
    pages = [client_a.get(f"/api/changesets/?page_size=3&page={n}").data for n in range(1, -(-len(expected) // 3) + 1)]
    assert {page["count"] for page in pages} == {len(expected)}
    assert [row["id"] for page in pages for row in page["results"]] == expected


@pytest.mark.parametrize(("path", "expected"), [("/api/systemusers/", 4), ("/api/systemusers/keys/", 3)])
def test_system_user_list_queries_are_pinned(
    account_a: Account, client_a: APIClient, staff_client: APIClient, web_server: Server, path: str, expected: int
) -> None:
    from panel.systemusers.services import system_user_create
    from tests.sshkeys import public_key

    for i in range(OBJECTS):
        system_user_create(account=account_a, name=f"alice-{i}", keys=[public_key(), public_key()], actor=None)
    assert _counts(client_a, path) == [expected] * len(PAGE_SIZES)
    assert _counts(staff_client, path) == [expected] * len(PAGE_SIZES)


def test_name_proof_list_queries_are_pinned(account_a: Account, client_a: APIClient, staff_client: APIClient) -> None:
    from panel.names.models import NameProof

    for i in range(OBJECTS):
        NameProof.objects.create(account=account_a, name=f"site{i}.elsewhere.example")
    assert _counts(client_a, "/api/names/") == [3] * len(PAGE_SIZES)
    assert _counts(staff_client, "/api/names/") == [3] * len(PAGE_SIZES)


def test_website_list_queries_are_pinned(
    account_a: Account, client_a: APIClient, staff_client: APIClient, web_server: Server
) -> None:
    from panel.web.services import website_create

    for i in range(OBJECTS):
        website_create(account=account_a, name=f"site{i}", domains=[f"s{i}.example", f"www.s{i}.example"], actor=None)
    assert _counts(client_a, "/api/websites/") == [4] * len(PAGE_SIZES)
    assert _counts(staff_client, "/api/websites/") == [4] * len(PAGE_SIZES)
