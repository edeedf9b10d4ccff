"""POST /api/mail/mailboxes/bulk/: many mailboxes of one account in one request, all or none, one change set."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from panel.accounts.models import Account
from panel.accounts.services import account_disable
from panel.core.models import ObjectChange
from panel.mail.models import Mailbox
from panel.mail.passwords import verify
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server

pytestmark = pytest.mark.django_db
URL = "/api/mail/mailboxes/bulk/"
PASSWORD = "correct horse battery staple"


def _entries(*names: str) -> list[dict[str, object]]:
    return [{"name": name, "password": f"{PASSWORD} {name}"} for name in names]


def test_creates_every_mailbox_in_one_change_set(client_a: APIClient, account_a: Account, mail_server: Server) -> None:
    entries = [*_entries("info", "sales"), {"name": "jobs", "password": PASSWORD, "quota_mb": 500, "spam": "junk"}]
    response = client_a.post(URL, {"mailboxes": entries}, format="json")
    assert response.status_code == 201, response.data
    assert [box["name"] for box in response.data["mailboxes"]] == ["info", "sales", "jobs"]
    assert all(box["account"] == account_a.pk and box["apply_state"] == "pending" for box in response.data["mailboxes"])
    assert "password" not in str(response.data) and "password_hash" not in str(response.data)
    boxes = {box.name: box for box in Mailbox.objects.filter(account=account_a)}
    assert verify(f"{PASSWORD} sales", boxes["sales"].password_hash) and boxes["jobs"].quota_mb == 500
    change_set = ChangeSet.objects.get(pk=response.data["change_set"])
    assert sorted(item.scope for item in change_set.items.all()) == ["mailbox:info", "mailbox:jobs", "mailbox:sales"]
    assert ObjectChange.objects.filter(action="create", object_repr__in=list(boxes)).count() == 3


@pytest.mark.parametrize(
    ("entries", "field", "status", "code"),
    [
        ([*_entries("ok1"), {"name": "Bad:Name", "password": PASSWORD}], "mailboxes.1.name", 400, "invalid"),
        ([*_entries("ok1", "ok2"), {"name": "ok3", "password": "short"}], "mailboxes.2.password", 400, "too_short"),
        ([{"name": "ok1"}], "mailboxes.0.password", 400, "invalid"),
        ([*_entries("ok1"), {"name": "ok2", "password": PASSWORD, "quota_mb": -1}], "mailboxes.1.quota_mb", 400, None),
        (
            [*_entries("ok1"), {"name": "ok2", "password": PASSWORD, "sieve_custom": "if {"}],
            "mailboxes.1.sieve_custom",
            400,
            None,
        ),
        (_entries("ok1", "ok2", "ok1"), "mailboxes.2.name", 400, "duplicate"),
        (_entries("ok1", "taken"), "mailboxes.1.name", 409, "taken"),
        ([], "mailboxes", 400, None),
        ("not a list", "mailboxes", 400, None),
    ],
)
def test_one_bad_entry_creates_nothing_and_is_named(
    client_a: APIClient,
    account_a: Account,
    mail_server: Server,
    entries: object,
    field: str,
    status: int,
    code: str | None,
) -> None:
    assert (
        client_a.post("/api/mail/mailboxes/", {"name": "taken", "password": PASSWORD}, format="json").status_code == 201
    )
    before = set(Mailbox.objects.values_list("name", flat=True))
    response = client_a.post(URL, {"mailboxes": entries}, format="json")
    assert response.status_code == status, response.data
    assert any(name == field or name.startswith(f"{field}.") for name in response.data["fields"]), response.data
    assert code is None or response.data["code"] == code
    assert set(Mailbox.objects.values_list("name", flat=True)) == before


def test_at_most_a_thousand_per_request(client_a: APIClient, mail_server: Server) -> None:
    response = client_a.post(URL, {"mailboxes": _entries(*(f"m{i}" for i in range(1001)))}, format="json")
    assert response.status_code == 400 and "no more than 1000" in response.data["detail"]
    assert not Mailbox.objects.exists()


def test_tenancy_and_staff(
    client_a: APIClient, staff_client: APIClient, account_a: Account, account_b: Account, mail_server: Server
) -> None:
    theirs = client_a.post(URL, {"account": account_b.pk, "mailboxes": _entries("x1")}, format="json")
    assert theirs.status_code == 400 and "account" in theirs.data["fields"]
    unsaid = staff_client.post(URL, {"mailboxes": _entries("x1")}, format="json")
    assert unsaid.status_code == 400 and "account" in unsaid.data["fields"]
    for_b = staff_client.post(URL, {"account": account_b.pk, "mailboxes": _entries("x1", "x2")}, format="json")
    assert for_b.status_code == 201, for_b.data
    assert set(Mailbox.objects.filter(account=account_b).values_list("name", flat=True)) == {"x1", "x2"}
    assert not Mailbox.objects.filter(account=account_a).exists()


def test_a_disabled_account_creates_nothing(client_a: APIClient, account_a: Account, mail_server: Server) -> None:
    account_disable(account=account_a, actor=None)
    response = client_a.post(URL, {"mailboxes": _entries("x1")}, format="json")
    assert response.status_code == 409 and response.data["code"] == "account_disabled"
    assert not Mailbox.objects.exists()
