from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from panel.accounts.models import Account, Contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

GOOD = {"name": "Tech", "email": "tech@elsewhere.org", "usages": ["technical"]}


def test_customer_creates_contact_in_own_account_by_default(client_a: APIClient, account_a: Account) -> None:
    response = client_a.post("/api/contacts/", GOOD, format="json")
    assert response.status_code == 201, response.data
    assert response.data["account"] == account_a.pk
    assert Contact.objects.get(pk=response.data["id"]).account == account_a


def test_staff_must_name_the_account(staff_client: APIClient, account_a: Account) -> None:
    response = staff_client.post("/api/contacts/", GOOD, format="json")
    assert response.status_code == 400 and "account" in response.data["fields"]
    response = staff_client.post("/api/contacts/", {**GOOD, "account": account_a.pk}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": ""}, "email"),
        ({"email": "no-at-sign"}, "email"),
        ({"email": "x@localhost"}, "email"),
        ({"email": "x@example.org\nBcc: y@example.org"}, "email"),
        ({"name": ""}, "name"),
        ({"phone": "call me maybe"}, "phone"),
        ({"country": "Spain"}, "country"),
        ({"usages": ["sales"]}, "usages.0"),
    ],
)
def test_bad_contact_input_is_400_naming_the_field(client_a: APIClient, payload: dict[str, object], field: str) -> None:
    before = Contact.objects.count()
    response = client_a.post("/api/contacts/", {**GOOD, **payload}, format="json")
    assert response.status_code == 400, response.data
    assert field in response.data["fields"], response.data
    assert Contact.objects.count() == before


def test_removing_the_last_emergency_contact_is_refused(client_a: APIClient, account_a: Account) -> None:
    emergency = account_a.contacts.get()
    response = client_a.delete(f"/api/contacts/{emergency.pk}/")
    assert response.status_code == 409
    assert response.data["code"] == "last_emergency_contact"
    response = client_a.patch(f"/api/contacts/{emergency.pk}/", {"usages": ["technical"]}, format="json")
    assert response.status_code == 400
    assert "usages" in response.data["fields"]
    emergency.refresh_from_db()
    assert emergency.is_emergency


def test_contact_cannot_move_to_another_account(
    staff_client: APIClient, account_a: Account, account_b: Account
) -> None:
    contact = ContactFactory(account=account_a)
    response = staff_client.patch(f"/api/contacts/{contact.pk}/", {"account": account_b.pk}, format="json")
    assert response.status_code == 400 and "account" in response.data["fields"]
    contact.refresh_from_db()
    assert contact.account == account_a


def test_contact_list_query_count_does_not_grow_with_page_size(staff_client: APIClient, account_a: Account) -> None:
    ContactFactory.create_batch(30, account=account_a)

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(f"/api/contacts/?page_size={page_size}")
        assert len(response.data["results"]) == page_size
        return len(captured)

    queries(1)  # the first call of a token also records its use; compare steady-state requests
    assert queries(2) == queries(25)
