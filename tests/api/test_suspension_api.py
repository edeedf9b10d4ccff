"""Suspension through the API: staff disable an account and get the change sets back; every provisioned object
shows `suspended`; the account's customers get 409 `account_disabled` on every write except contacts; staff
still write; enabling restores."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from panel.accounts.models import Account
from panel.core.access import ACCOUNT_DISABLED_MESSAGE
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse 'battery' : staple"


@pytest.fixture
def ids(client_a: APIClient, dns_servers: tuple[Server, Server], mail_server: Server) -> dict[str, Any]:
    def post(path: str, body: dict[str, Any]) -> Any:
        response = client_a.post(path, body, format="json")
        assert response.status_code == 201, response.data
        return response.data["id"]

    zone = post("/api/zones/", {"name": "shop.example"})
    record = post("/api/records/", {"zone": zone, "name": "www", "type": "A", "value": "192.0.2.80"})
    domain = post("/api/mail/domains/", {"name": "shop.example"})
    mailbox = post("/api/mail/mailboxes/", {"name": "info", "password": PASSWORD})
    address = post("/api/mail/addresses/", {"domain": domain, "local_part": "info", "mailboxes": [mailbox]})
    reply = post("/api/mail/autoresponses/", {"mailbox": mailbox, "subject": "Away", "body": "Later", "days": 3})
    return {
        "zones": zone,
        "records": record,
        "mail/domains": domain,
        "mail/mailboxes": mailbox,
        "mail/addresses": address,
        "mail/autoresponses": reply,
    }


def _suspended(client: APIClient, ids: dict[str, Any]) -> dict[str, bool]:
    flags = {}
    for path, pk in ids.items():
        listed = client.get(f"/api/{path}/").data["results"]
        detail = client.get(f"/api/{path}/{pk}/").data
        assert {row["suspended"] for row in listed} == {detail["suspended"]}, path
        flags[path] = detail["suspended"]
    return flags


def test_disable_returns_the_change_sets_and_every_object_shows_suspended(
    staff_client: APIClient, client_a: APIClient, account_a: Account, ids: dict[str, Any]
) -> None:
    assert set(_suspended(client_a, ids).values()) == {False}
    ChangeSet.objects.update(state="applied")
    response = staff_client.post(f"/api/accounts/{account_a.pk}/disable/")
    assert response.status_code == 200, response.data
    assert response.data["is_active"] is False
    servers = {staff_client.get(f"/api/changesets/{pk}/").data["server"] for pk in response.data["change_sets"]}
    assert servers == {"ns1", "ns2", "mx1"}
    assert set(_suspended(client_a, ids).values()) == {True}
    assert set(_suspended(staff_client, ids).values()) == {True}
    zone = client_a.get(f"/api/zones/{ids['zones']}/").data
    assert zone["apply_state"] == "pending"  # until its servers have stopped serving it

    again = staff_client.post(f"/api/accounts/{account_a.pk}/disable/")
    assert again.status_code == 200 and again.data["change_sets"] == []

    enabled = staff_client.post(f"/api/accounts/{account_a.pk}/enable/")
    assert enabled.status_code == 200 and enabled.data["is_active"] is True and len(enabled.data["change_sets"]) == 3
    assert set(_suspended(client_a, ids).values()) == {False}


def _writes(ids: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("post", "/api/zones/", {"name": "other.example"}),
        ("patch", f"/api/zones/{ids['zones']}/", {"ttl": 600}),
        ("delete", f"/api/zones/{ids['zones']}/", None),
        ("post", "/api/records/", {"zone": ids["zones"], "name": "x", "type": "A", "value": "192.0.2.1"}),
        ("patch", f"/api/records/{ids['records']}/", {"value": "192.0.2.81"}),
        ("delete", f"/api/records/{ids['records']}/", None),
        ("post", "/api/mail/domains/", {"name": "other.example"}),
        ("delete", f"/api/mail/domains/{ids['mail/domains']}/", None),
        ("post", "/api/mail/mailboxes/", {"name": "new", "password": PASSWORD}),
        ("patch", f"/api/mail/mailboxes/{ids['mail/mailboxes']}/", {"quota_mb": 10}),
        ("post", f"/api/mail/mailboxes/{ids['mail/mailboxes']}/set-password/", {"password": PASSWORD + "2"}),
        ("delete", f"/api/mail/mailboxes/{ids['mail/mailboxes']}/", None),
        ("post", "/api/mail/addresses/", {"domain": ids["mail/domains"], "local_part": "new", "forwards": ["a@b.org"]}),
        ("patch", f"/api/mail/addresses/{ids['mail/addresses']}/", {"forwards": ["a@b.org"]}),
        ("delete", f"/api/mail/addresses/{ids['mail/addresses']}/", None),
        ("patch", f"/api/mail/autoresponses/{ids['mail/autoresponses']}/", {"subject": "Gone"}),
        ("delete", f"/api/mail/autoresponses/{ids['mail/autoresponses']}/", None),
        ("post", "/api/payment-sources/", {"method": "bank_transfer"}),
    ]


WRITE_COUNT = 18


@pytest.mark.parametrize("index", range(WRITE_COUNT))
def test_a_disabled_accounts_customer_gets_409_on_every_write_and_staff_do_not(
    staff_client: APIClient, client_a: APIClient, account_a: Account, ids: dict[str, Any], index: int
) -> None:
    writes = _writes(ids)
    assert len(writes) == WRITE_COUNT
    method, path, body = writes[index]
    staff_client.post(f"/api/accounts/{account_a.pk}/disable/")
    refused = getattr(client_a, method)(path, body, format="json")
    assert refused.status_code == 409, refused.data
    assert refused.data == {
        "detail": ACCOUNT_DISABLED_MESSAGE,
        "code": "account_disabled",
        "fields": {"non_field_errors": [ACCOUNT_DISABLED_MESSAGE]},
    }
    if method == "post" and "account" not in body:  # type: ignore[operator]
        body = {**body, "account": account_a.pk}  # type: ignore[dict-item]
    allowed = getattr(staff_client, method)(path, body, format="json")
    assert allowed.status_code in {200, 201, 202, 204}, allowed.data


def test_a_disabled_accounts_customer_still_reads_and_manages_contacts(
    staff_client: APIClient, client_a: APIClient, account_a: Account, ids: dict[str, Any]
) -> None:
    staff_client.post(f"/api/accounts/{account_a.pk}/disable/")
    assert client_a.get("/api/zones/").status_code == 200
    assert client_a.get(f"/api/records/{ids['records']}/").status_code == 200
    contact = client_a.post(
        "/api/contacts/", {"name": "Tech", "email": "tech@elsewhere.org", "usages": ["technical"]}, format="json"
    )
    assert contact.status_code == 201, contact.data
    changed = client_a.patch(f"/api/contacts/{contact.data['id']}/", {"name": "Tech desk"}, format="json")
    assert changed.status_code == 200
    assert client_a.delete(f"/api/contacts/{contact.data['id']}/").status_code == 204
    assert client_a.post("/api/tokens/", {"name": "still here"}, format="json").status_code == 201


def test_other_accounts_are_not_affected(
    staff_client: APIClient, client_b: APIClient, account_a: Account, ids: dict[str, Any]
) -> None:
    staff_client.post(f"/api/accounts/{account_a.pk}/disable/")
    created = client_b.post("/api/zones/", {"name": "bob.example"}, format="json")
    assert created.status_code == 201 and created.data["suspended"] is False
