from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from panel.accounts.models import Account, User
from panel.accounts.registry import registry
from panel.provisioning import registry as registry_of_services
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server

pytestmark = pytest.mark.django_db

CONTACT = {"name": "Carol", "email": "carol@elsewhere.org", "usages": ["emergency", "billing"]}


def create(client: APIClient, **overrides: object) -> object:
    payload = {"handle": "carol", "name": "Carol Ltd", "type": "company", "contacts": [CONTACT], **overrides}
    return client.post("/api/accounts/", payload, format="json")


def test_staff_creates_account_with_contacts(staff_client: APIClient) -> None:
    response = create(staff_client)
    assert response.status_code == 201, response.data
    assert response.data["handle"] == "carol"
    assert response.data["contacts"][0]["usages"] == ["billing", "emergency"]
    assert Account.objects.get(handle="carol").contacts.get().is_billing


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"handle": "Carol"}, "handle"),
        ({"handle": "c" * 33}, "handle"),
        ({"handle": "root"}, "handle"),
        ({"handle": "www-data"}, "handle"),
        ({"handle": "bad handle"}, "handle"),
        ({"handle": ""}, "handle"),
        ({"type": "pirate"}, "type"),
        ({"language": "xx"}, "language"),
        ({"contacts": []}, "contacts"),
        ({"contacts": [{**CONTACT, "email": "nope"}]}, "contacts.0.email"),
        ({"contacts": [{**CONTACT, "email": "root@localhost"}]}, "contacts.0.email"),
        ({"contacts": [{**CONTACT, "usages": ["billing"]}]}, "contacts"),
        ({"contacts": [{**CONTACT, "usages": ["sales"]}]}, "contacts.0.usages.0"),
    ],
)
def test_bad_account_input_is_400_naming_the_field(
    staff_client: APIClient, overrides: dict[str, object], field: str
) -> None:
    response = create(staff_client, **overrides)
    assert response.status_code == 400, response.data
    assert field in response.data["fields"], response.data
    assert response.data["detail"]
    assert not Account.objects.exists()


def test_duplicate_handle_is_refused(staff_client: APIClient, account_a: Account) -> None:
    response = create(staff_client, handle=account_a.handle)
    assert response.status_code == 400
    assert "handle" in response.data["fields"]
    assert Account.objects.filter(handle=account_a.handle).count() == 1


def test_handle_is_immutable_through_the_api(staff_client: APIClient, account_a: Account) -> None:
    response = staff_client.patch(f"/api/accounts/{account_a.pk}/", {"handle": "alice2"}, format="json")
    assert response.status_code == 400
    assert list(response.data["fields"]) == ["handle"]
    response = staff_client.patch(f"/api/accounts/{account_a.pk}/", {"name": "Alice & Co"}, format="json")
    assert response.status_code == 200
    assert response.data["name"] == "Alice & Co"


def test_contacts_cannot_be_replaced_through_the_account(staff_client: APIClient, account_a: Account) -> None:
    response = staff_client.patch(f"/api/accounts/{account_a.pk}/", {"contacts": [CONTACT]}, format="json")
    assert response.status_code == 400
    assert "contacts" in response.data["fields"]


def test_disable_enable_and_customer_login(staff_client: APIClient, account_a: Account) -> None:
    assert staff_client.post(f"/api/accounts/{account_a.pk}/disable/").data["is_active"] is False
    assert staff_client.post(f"/api/accounts/{account_a.pk}/enable/").data["is_active"] is True
    response = staff_client.post(
        f"/api/accounts/{account_a.pk}/users/", {"username": "alice2", "password": "long-enough-pass-1"}, format="json"
    )
    assert response.status_code == 201
    assert "password" not in response.data
    assert User.objects.get(username="alice2").account == account_a
    weak = staff_client.post(f"/api/accounts/{account_a.pk}/users/", {"username": "a3", "password": "1"}, format="json")
    assert weak.status_code == 400 and "password" in weak.data["fields"]


def test_a_deleted_account_is_taken_off_every_server_that_carried_it(
    staff_client: APIClient, client_a: APIClient, account_a: Account, dns_servers: Any, web_server: Server
) -> None:
    zone = client_a.post("/api/zones/", {"name": "alice.example"}, format="json").data
    site = client_a.post("/api/websites/", {"name": "www", "domains": ["www.alice.example"]}, format="json").data
    assert zone["change_set"] and site["change_set"]
    ChangeSet.objects.update(state="applied")  # as if the runs had gone through
    deleted = staff_client.delete(f"/api/accounts/{account_a.pk}/")
    assert (deleted.status_code, deleted.data["status"]) == (202, "deleted")
    converging = ChangeSet.objects.filter(pk__in=deleted.data["change_sets"])
    assert sorted((cs.server.name, cs.service, cs.full_run) for cs in converging) == [
        ("ns1", "dns", True), ("ns2", "dns", True), ("web1", "users", True), ("web1", "web", True),
    ]  # fmt: skip
    for service in ("dns", "users", "web"):
        server = converging.filter(service=service).first().server
        rendered = str(registry_of_services.get(service).render(registry_of_services.get(service).load(server)))
        assert "alice" not in rendered, (service, rendered)


def test_delete_is_hard_without_invoices_and_soft_with(
    staff_client: APIClient, account_a: Account, account_b: Account
) -> None:
    guard = lambda account: "has invoices" if account.handle == "bob" else None  # noqa: E731
    registry.delete_guards.append(guard)
    try:
        deleted = staff_client.delete(f"/api/accounts/{account_a.pk}/")
        response = staff_client.delete(f"/api/accounts/{account_b.pk}/")
    finally:
        registry.delete_guards.remove(guard)
    assert (deleted.status_code, deleted.data) == (202, {"status": "deleted", "reasons": [], "change_sets": []})
    assert response.status_code == 202
    assert response.data == {"status": "soft_deleted", "reasons": ["has invoices"], "change_sets": []}
    assert not Account.objects.filter(pk=account_a.pk).exists()
    assert staff_client.get(f"/api/accounts/{account_b.pk}/").status_code == 404
    listed = staff_client.get("/api/accounts/?include_deleted=true").data["results"]
    assert [row["handle"] for row in listed] == ["bob"]


def test_list_filters_and_search(staff_client: APIClient, account_a: Account, account_b: Account) -> None:
    staff_client.post(f"/api/accounts/{account_b.pk}/disable/")
    assert [a["handle"] for a in staff_client.get("/api/accounts/?is_active=true").data["results"]] == ["alice"]
    assert [a["handle"] for a in staff_client.get("/api/accounts/?search=bob").data["results"]] == ["bob"]
    page = staff_client.get("/api/accounts/?page_size=1").data
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]
