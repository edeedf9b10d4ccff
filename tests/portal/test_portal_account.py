"""Contacts and API tokens in the portal: a contact added, edited and refused when it would leave the account
without an emergency contact; a token's key shown once (never stored, never shown again) and revoked;
another account's contacts and another user's tokens not found."""

from __future__ import annotations

import pytest

from panel.accounts.models import ApiToken, Contact, User
from panel.accounts.services import token_create
from tests.portal.test_portal_dns import browser

pytestmark = pytest.mark.django_db


def test_contacts_added_edited_and_the_last_emergency_contact_kept(customer_a: User) -> None:
    client = browser(customer_a)
    body = {"name": "Accounts", "email": "accounts@alice-home.org", "phone": "", "usages": ["billing"]}
    assert client.post("/account/contacts/new/", {f"contact-{k}": v for k, v in body.items()}).status_code == 302
    contact = Contact.objects.get(name="Accounts")
    assert contact.is_billing and not contact.is_emergency
    bad = client.post(f"/account/contacts/{contact.pk}/", {**body, "email": "not an address"})
    assert bad.status_code == 200 and 'id="id_email_errors"' in bad.content.decode()
    emergency = Contact.objects.get(account=customer_a.account, is_emergency=True)
    refused = client.post(f"/account/contacts/{emergency.pk}/delete/", follow=True).content.decode()
    assert "last emergency contact" in refused and Contact.objects.filter(pk=emergency.pk).exists()


def test_a_tokens_key_is_shown_once_and_the_token_revoked(customer_a: User) -> None:
    client = browser(customer_a)
    page = client.post("/account/tokens/new/", {"token-name": "deploy"}).content.decode()
    token = ApiToken.objects.get(name="deploy")
    start = page.index('id="new-key">') + len('id="new-key">')
    key = page[start : page.index("</code>", start)]
    assert key.startswith(token.prefix) and len(key) > 30 and key not in token.key_hash
    again = client.get("/account/").content.decode()
    assert key not in again and token.prefix in again, "shown once, never again"
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_another_accounts_contacts_and_another_users_tokens_are_not_found(customer_a: User, customer_b: User) -> None:
    contact = Contact.objects.filter(account=customer_a.account).first()
    assert contact is not None
    token, _ = token_create(user=customer_a, name="alice's", actor=customer_a)
    other = browser(customer_b)
    assert other.get(f"/account/contacts/{contact.pk}/").status_code == 404
    assert other.post(f"/account/contacts/{contact.pk}/delete/").status_code == 404
    assert other.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None and Contact.objects.filter(pk=contact.pk).exists()
    page = other.get("/account/").content.decode()
    assert contact.email not in page and "alice's" not in page
