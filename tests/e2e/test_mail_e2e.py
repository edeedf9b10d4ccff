"""Mail from the API down to SMTP and IMAP: a real mail server registered through the API, a customer's
domain, mailboxes, alias, forward, catch-all and autoresponder created through the API, applied by a real
Huey worker, and proven by sending with smtplib to the published SMTP port and reading with imaplib."""

from __future__ import annotations

import email
import imaplib
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from tests import hosts
from tests.e2e.conftest import Api, Worker, customer_api, eventually, register_server, staff_api

pytestmark = pytest.mark.e2e
DOMAIN = "mail-e2e.example"
ALICE_PASSWORD = 'p"a:ss wörd{{x}} \u00e9'
BOB_PASSWORD = "bob's other password: 2"
_UNVERIFIED = ssl.create_default_context()
_UNVERIFIED.check_hostname = False
_UNVERIFIED.verify_mode = ssl.CERT_NONE


@pytest.fixture(scope="module")
def mail_host() -> Iterator[hosts.TestHost]:
    name = "baton-e2e-mx1"
    try:
        yield hosts.start(name, ports=[25, 587, 143])
    finally:
        hosts.stop(name)


def send(host: hosts.TestHost, sender: str, recipient: str, subject: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, subject
    message.set_content(f"body of {subject}")
    with smtplib.SMTP("127.0.0.1", host.ports[25], timeout=30) as smtp:
        smtp.send_message(message)


def login(host: hosts.TestHost, user: str, password: str) -> imaplib.IMAP4:
    imap = imaplib.IMAP4("127.0.0.1", host.ports[143], timeout=30)
    imap.starttls(ssl_context=_UNVERIFIED)  # the server refuses passwords in clear; its certificate is self-signed
    # AUTHENTICATE PLAIN carries UTF-8; imaplib's LOGIN only takes ASCII passwords.
    imap.authenticate("PLAIN", lambda _: f"\0{user}\0{password}".encode())
    return imap


def subjects(host: hosts.TestHost, user: str, password: str, folder: str = "INBOX") -> list[str]:
    imap = login(host, user, password)
    try:
        imap.select(folder)
        _, data = imap.search(None, "ALL")
        found = []
        for number in data[0].split():
            _, parts = imap.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            found.append(str(email.message_from_bytes(parts[0][1])["Subject"]))  # type: ignore[index]
        return sorted(found)
    finally:
        imap.logout()


def can_login(host: hosts.TestHost, user: str, password: str) -> bool:
    try:
        login(host, user, password).logout()
    except imaplib.IMAP4.error:
        return False
    return True


def set_up(live_server: Any, host: hosts.TestHost) -> Api:
    staff = staff_api(live_server, "mail-staff")
    server = register_server(staff, host, ["mail"])
    staff.ok("POST", "/api/placements/", {"role": "mail", "server": server["id"]})
    return customer_api(live_server, staff, "mailer")


def applied(customer: Api, change_set: int) -> None:
    assert customer.wait_applied(change_set, timeout=120)["state"] == "applied"


def test_mail_through_the_api_is_delivered_and_read_over_smtp_and_imap(
    live_server: Any, start_worker: Callable[[], Worker], mail_host: hosts.TestHost
) -> None:
    start_worker()
    customer = set_up(live_server, mail_host)
    domain = customer.ok("POST", "/api/mail/domains/", {"name": DOMAIN})
    alice = customer.ok("POST", "/api/mail/mailboxes/", {"name": "alice", "password": ALICE_PASSWORD})
    bob = customer.ok("POST", "/api/mail/mailboxes/", {"name": "bob", "password": BOB_PASSWORD})
    for local, boxes, forwards in [
        ("info", [alice["id"]], []),
        ("bob", [bob["id"]], []),
        ("", [alice["id"]], []),
        ("fwd", [], [f"bob@{DOMAIN}"]),
    ]:
        customer.ok(
            "POST",
            "/api/mail/addresses/",
            {"domain": domain["id"], "local_part": local, "mailboxes": boxes, "forwards": forwards},
        )
    reply = customer.ok(
        "POST",
        "/api/mail/autoresponses/",
        {"mailbox": alice["id"], "subject": "Away", "body": "Back on Monday.", "days": 7},
    )
    applied(customer, reply["change_set"])

    send(mail_host, "someone@outside.example", f"info@{DOMAIN}", "to the alias")
    send(mail_host, "someone@outside.example", f"whatever@{DOMAIN}", "to the catch-all")
    send(mail_host, "someone@outside.example", f"fwd@{DOMAIN}", "to the forward")
    eventually(lambda: subjects(mail_host, "alice", ALICE_PASSWORD), ["to the alias", "to the catch-all"], 30)
    eventually(lambda: "to the forward" in subjects(mail_host, "bob", BOB_PASSWORD), True, 30)

    # The autoresponder answers a sender once, however often it writes.
    send(mail_host, f"bob@{DOMAIN}", f"info@{DOMAIN}", "first from bob")
    send(mail_host, f"bob@{DOMAIN}", f"info@{DOMAIN}", "second from bob")
    eventually(lambda: sum(s.startswith("Away") for s in subjects(mail_host, "bob", BOB_PASSWORD)), 1, 30)
    time.sleep(3)
    assert sum(s.startswith("Away") for s in subjects(mail_host, "bob", BOB_PASSWORD)) == 1

    # The relay is closed: outside to outside is refused.
    with smtplib.SMTP("127.0.0.1", mail_host.ports[25], timeout=30) as smtp:
        smtp.ehlo()
        smtp.mail("spammer@outside.example")
        code, _ = smtp.rcpt("victim@elsewhere.example")
        assert 500 <= code < 600

    changed = customer.ok("POST", f"/api/mail/mailboxes/{alice['id']}/set-password/", {"password": "a brand new one"})
    applied(customer, changed["change_set"])
    assert can_login(mail_host, "alice", "a brand new one") and not can_login(mail_host, "alice", ALICE_PASSWORD)

    disabled = customer.ok("PATCH", f"/api/mail/mailboxes/{alice['id']}/", {"is_active": False})
    applied(customer, disabled["change_set"])
    assert not can_login(mail_host, "alice", "a brand new one")

    deleted = customer.ok("DELETE", f"/api/mail/mailboxes/{bob['id']}/")
    applied(customer, deleted["change_set"])
    with smtplib.SMTP("127.0.0.1", mail_host.ports[25], timeout=30) as smtp:
        smtp.ehlo()
        smtp.mail("someone@outside.example")
        code, _ = smtp.rcpt(f"bob@{DOMAIN}")
        assert 500 <= code < 600, "a deleted mailbox no longer receives"
