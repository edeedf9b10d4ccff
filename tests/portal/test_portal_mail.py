"""The mail pages without JavaScript: a domain, a mailbox (settings, password, autoresponder), an address with
its destinations; errors next to their fields; another account's objects not found on any URL."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from panel.accounts.models import Account, User
from panel.mail.models import Address, Autoresponse, Mailbox, MailDomain
from panel.mail.services import mail_domain_create, mailbox_create
from panel.servers.models import Server
from tests.portal.test_portal_dns import browser

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-mailbox-password-1"


@pytest.fixture
def box_a(account_a: Account, customer_a: User, mail_server: Server) -> Mailbox:
    return mailbox_create(account=account_a, name="alice", password=PASSWORD, actor=customer_a)[0]


def test_a_domain_a_mailbox_and_an_address_through_the_forms(
    customer_a: User, mail_server: Server, dns_servers: tuple[Server, Server]
) -> None:
    client = browser(customer_a)
    assert client.post("/mail/domains/new/", {"domain-name": "shop.example"}).status_code == 302
    domain = MailDomain.objects.get(name="shop.example")
    response = client.post(
        "/mail/mailboxes/new/", {"mailbox-name": "sales", "mailbox-password": PASSWORD, "mailbox-quota_mb": 500}
    )
    box = Mailbox.objects.get(name="sales")
    assert response["Location"] == f"/mail/mailboxes/{box.pk}/" and box.quota_mb == 500
    assert PASSWORD not in box.password_hash
    body = {"address-local_part": "info", "address-domain": domain.pk, "address-mailboxes": [box.pk],
            "address-forwards": "boss@elsewhere.example\n"}  # fmt: skip
    assert client.post("/mail/addresses/new/", body).status_code == 302
    address = Address.objects.get(local_part="info")
    assert list(address.mailboxes.all()) == [box] and address.forwards == ["boss@elsewhere.example"]
    page = client.get("/mail/").content.decode()
    assert "info@shop.example" in page and "boss@elsewhere.example" in page and page.count('role="status"') >= 3


def test_a_mailbox_password_settings_and_autoresponder(customer_a: User, box_a: Mailbox) -> None:
    client = browser(customer_a)
    before = box_a.password_hash
    short = client.post(f"/mail/mailboxes/{box_a.pk}/password/", {"password": "short"})
    assert short.status_code == 200 and re.search(r'id="id_password_errors"', short.content.decode())
    changed = client.post(f"/mail/mailboxes/{box_a.pk}/password/", {"password": "another-long-password-2"})
    assert changed.status_code == 302 and Mailbox.objects.get(pk=box_a.pk).password_hash != before
    settings = {"quota_mb": 2048, "spam": "junk", "spam_score": 6, "is_active": "on"}
    assert client.post(f"/mail/mailboxes/{box_a.pk}/", settings).status_code == 302
    assert Mailbox.objects.get(pk=box_a.pk).spam == "junk"
    reply = {"subject": "Away", "body": "Back on Monday.", "days": 7, "start": "", "end": ""}
    assert client.post(f"/mail/mailboxes/{box_a.pk}/autoresponder/", reply).status_code == 302
    assert Autoresponse.objects.get(mailbox=box_a).subject == "Away"
    assert "On: replies" in client.get(f"/mail/mailboxes/{box_a.pk}/").content.decode()
    client.post(f"/mail/mailboxes/{box_a.pk}/autoresponder/", {"switch_off": "1"})
    assert not Autoresponse.objects.filter(mailbox=box_a).exists()


def test_another_accounts_mail_objects_are_not_found(
    account_a: Account, customer_a: User, customer_b: User, box_a: Mailbox, dns_servers: tuple[Server, Server]
) -> None:
    domain, _ = mail_domain_create(account=account_a, name="shop.example", actor=customer_a)
    other = browser(customer_b)
    for url in [f"/mail/mailboxes/{box_a.pk}/", f"/mail/mailboxes/{box_a.pk}/delete/",
                f"/mail/domains/{domain.pk}/delete/", f"/state/mailbox/{box_a.pk}/"]:  # fmt: skip
        assert other.get(url).status_code == 404, url
    for url in [f"/mail/mailboxes/{box_a.pk}/password/", f"/mail/mailboxes/{box_a.pk}/delete/",
                f"/mail/domains/{domain.pk}/delete/"]:  # fmt: skip
        assert other.post(url, {"password": "taken-over-password-9"}).status_code == 404, url
    # Another account's domain and mailbox ids in a form of one's own: not choices, refused.
    response = other.post(
        "/mail/addresses/new/",
        {"address-local_part": "x", "address-domain": domain.pk, "address-mailboxes": [box_a.pk]},
    )
    assert response.status_code == 200 and not Address.objects.filter(local_part="x").exists()
    assert "alice" not in other.get("/mail/").content.decode()
    assert Mailbox.objects.get(pk=box_a.pk).password_hash == box_a.password_hash


def test_the_mail_page_needs_its_csrf_token(customer_a: User, box_a: Mailbox) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer_a)
    assert client.post(f"/mail/mailboxes/{box_a.pk}/password/", {"password": "x" * 20}).status_code == 403
