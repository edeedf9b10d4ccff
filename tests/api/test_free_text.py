"""Free text has a length limit and no control characters where they make no sense: 400 naming the field, through
the API and through the services alike (the model validates it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from panel.accounts.models import Account, Contact
from panel.accounts.services import account_update, contact_create
from panel.core.errors import ValidationFailed
from panel.core.validators import validate_multiline, validate_single_line
from panel.servers.models import Server

pytestmark = pytest.mark.django_db

MEGABYTE = "x" * (1024 * 1024)


def assert_400(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["fields"]) == [field], response.json()


def test_shared_validators() -> None:
    validate_single_line("Zoë O'Brien \u2013 Ltd.")
    validate_multiline("Street 1\r\nFloor 2\tleft")
    for bad in ("a\nb", "a\tb", "bell\x07", "del\x7f", "c1\x85", "nul\x00"):
        with pytest.raises(ValidationError):
            validate_single_line(bad)
    for bad in ("bell\x07", "esc\x1b[2J", "del\x7f", "c1\x9b"):
        with pytest.raises(ValidationError) as refused:
            validate_multiline(bad)
        assert refused.value.code == "control_character"


def test_a_megabyte_contact_address_is_refused(client_a: APIClient) -> None:
    body = {"name": "N", "email": "n@elsewhere.org", "address": MEGABYTE}
    assert_400(client_a.post("/api/contacts/", body, format="json"), "address")
    assert not Contact.objects.filter(name="N").exists()
    fine = client_a.post("/api/contacts/", {**body, "address": "Main Street 1\r\n08001 Barcelona"}, format="json")
    assert fine.status_code == 201, fine.data


def test_megabyte_account_comments_are_refused(staff_client: APIClient, account_a: Account) -> None:
    assert_400(staff_client.patch(f"/api/accounts/{account_a.pk}/", {"comments": MEGABYTE}, format="json"), "comments")
    assert Account.objects.get(pk=account_a.pk).comments == ""


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/contacts/", {"name": "Evil\x1b[2J", "email": "n@elsewhere.org"}, "name"),
        ("/api/contacts/", {"name": "N", "email": "n@elsewhere.org", "city": "Line\nbreak"}, "city"),
        ("/api/contacts/", {"name": "N", "email": "n@elsewhere.org", "postal_code": "08\x0001"}, "postal_code"),
        ("/api/contacts/", {"name": "N", "email": "n@elsewhere.org", "address": "bell\x07"}, "address"),
        ("/api/tokens/", {"name": "ci\nsecond line"}, "name"),
        ("/api/payment-sources/", {"method": "bank_transfer", "holder": "Bob\x08\x08\x08Alice"}, "holder"),
    ],
)
def test_control_characters_are_refused(client_a: APIClient, path: str, body: dict[str, str], field: str) -> None:
    assert_400(client_a.post(path, body, format="json"), field)


def test_token_endpoint_names_are_single_lines(anon_client: APIClient, customer_a: Any) -> None:
    body = {"username": customer_a.username, "password": "correct-horse-battery-staple", "name": "a\rb"}
    assert_400(anon_client.post("/api/auth/token/", body, format="json"), "name")


def test_account_name_with_control_characters(staff_client: APIClient, account_a: Account) -> None:
    assert_400(
        staff_client.patch(f"/api/accounts/{account_a.pk}/", {"name": "A\x1b]0;pwned\x07"}, format="json"), "name"
    )


def test_services_refuse_them_too(account_a: Account) -> None:
    with pytest.raises(ValidationFailed) as refused:
        contact_create(account=account_a, name="N\x00", email="n@elsewhere.org", actor=None)
    assert list(refused.value.fields) == ["name"]
    with pytest.raises(ValidationFailed) as refused:
        account_update(account=account_a, comments="x" * 10_001, actor=None)
    assert list(refused.value.fields) == ["comments"]


def test_mail_text_limits_reach_the_serializer(client_a: APIClient, mail_server: Server) -> None:
    box = client_a.post("/api/mail/mailboxes/", {"name": "box", "password": "a-long-mailbox-password"}, format="json")
    assert box.status_code == 201, box.data
    reply = {"mailbox": box.data["id"], "subject": "Away", "body": "x" * 8001}
    assert_400(client_a.post("/api/mail/autoresponses/", reply, format="json"), "body")
    patch = client_a.patch(f"/api/mail/mailboxes/{box.data['id']}/", {"sieve_custom": MEGABYTE}, format="json")
    assert_400(patch, "sieve_custom")
