"""Mail from the API down to SMTP and IMAP: a real mail server registered through the API, a customer's
domain, mailboxes, alias, forward, catch-all and autoresponder created through the API, applied by a real
Huey worker, and proven by sending with smtplib to the published SMTP port and reading with imaplib."""

from __future__ import annotations

import email
import imaplib
import json
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from tests import hosts
from tests.e2e.conftest import (
    Api,
    Worker,
    customer_api,
    eventually,
    rcpt,
    register_server,
    served_now,
    staff_api,
)

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
    final = customer.wait_applied(change_set, timeout=120)
    assert final["state"] == "applied", json.dumps(final)


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
    assert 500 <= rcpt(mail_host, "victim@elsewhere.example", "spammer@outside.example") < 600

    changed = customer.ok("POST", f"/api/mail/mailboxes/{alice['id']}/set-password/", {"password": "a brand new one"})
    applied(customer, changed["change_set"])
    served_now(lambda: can_login(mail_host, "alice", "a brand new one"), True, "a changed password")
    served_now(lambda: can_login(mail_host, "alice", ALICE_PASSWORD), False, "the password before")

    disabled = customer.ok("PATCH", f"/api/mail/mailboxes/{alice['id']}/", {"is_active": False})
    applied(customer, disabled["change_set"])
    served_now(lambda: can_login(mail_host, "alice", "a brand new one"), False, "a disabled mailbox")

    deleted = customer.ok("DELETE", f"/api/mail/mailboxes/{bob['id']}/")
    applied(customer, deleted["change_set"])
    served_now(lambda: 500 <= rcpt(mail_host, f"bob@{DOMAIN}") < 600, True, "RCPT to a deleted mailbox")


def test_a_new_domain_accepts_its_first_rcpt_right_after_applied(
    live_server: Any, start_worker: Callable[[], Worker], mail_host: hosts.TestHost
) -> None:
    """A domain, a mailbox and an address made in one burst: the first RCPT after `applied` is accepted (postfix's
    trivial-rewrite kept the old domain table and answered 554 "Relay access denied" for up to 90 s), ten times
    in a row with a new domain each time, and the message sent then is read over IMAP."""
    start_worker()
    customer = set_up(live_server, mail_host)
    for attempt in range(10):
        domain = customer.ok("POST", "/api/mail/domains/", {"name": f"burst{attempt}.example"})
        box = customer.ok("POST", "/api/mail/mailboxes/", {"name": f"burst{attempt}", "password": BOB_PASSWORD})
        address = customer.ok(
            "POST",
            "/api/mail/addresses/",
            {"domain": domain["id"], "local_part": "hello", "mailboxes": [box["id"]], "forwards": []},
        )
        for change_set in sorted({domain["change_set"], box["change_set"], address["change_set"]}):
            applied(customer, change_set)
        recipient = f"hello@burst{attempt}.example"
        served_now(lambda r=recipient: rcpt(mail_host, r), 250, f"RCPT TO:<{recipient}>")
        served_now(lambda a=attempt: can_login(mail_host, f"burst{a}", BOB_PASSWORD), True, "a new mailbox's login")
        send(mail_host, "someone@outside.example", recipient, f"burst {attempt}")
        # Delivery goes through the queue after the 250: that wait is the queue's, not the configuration's.
        eventually(lambda a=attempt: subjects(mail_host, f"burst{a}", BOB_PASSWORD), [f"burst {attempt}"], 30)
