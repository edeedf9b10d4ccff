"""Against a real server playing DNS and mail (no Ansible faked): one customer's sieve script that does not
compile fails that mailbox alone while another account's mail converges and is delivered over SMTP; drift sees
hand edits of every managed file, secret ones included, without recording their content; converge restores."""

from __future__ import annotations

import imaplib
import smtplib
import ssl
from collections.abc import Iterator

import dns.message
import dns.query
import dns.rcode
import pytest

from panel.accounts.models import Account, User
from panel.dns.models import Zone
from panel.dns.services import record_create, zone_create
from panel.mail import services as mail
from panel.mail.models import Address, Mailbox
from panel.provisioning import engine
from panel.provisioning.choices import RunKind
from panel.provisioning.services import request
from panel.servers.models import Server
from tests import hosts
from tests.provisioning.servers import registered

pytestmark = pytest.mark.django_db
NAME = "baton-pytest-isolation"
PASSWORD = "a long mailbox password"
_UNVERIFIED = ssl.create_default_context()
_UNVERIFIED.check_hostname = False
_UNVERIFIED.verify_mode = ssl.CERT_NONE


@pytest.fixture(scope="module")
def testhost() -> Iterator[hosts.TestHost]:
    try:
        yield hosts.start(NAME, ports=[25, 143, 53])
    finally:
        hosts.stop(NAME)


@pytest.fixture
def server(testhost: hosts.TestHost, settings: object) -> Server:
    return registered(testhost, settings, "mail", "dns-primary")


def run(server: Server, service: str) -> None:
    assert engine.process(server.pk, service)


def rcpt(host: hosts.TestHost, recipient: str) -> int:
    with smtplib.SMTP("127.0.0.1", host.ports[25], timeout=30) as smtp:
        smtp.ehlo()
        smtp.mail("someone@outside.example")
        code, _ = smtp.rcpt(recipient)
        return code


def can_login(host: hosts.TestHost, user: str, password: str) -> bool:
    imap = imaplib.IMAP4("127.0.0.1", host.ports[143], timeout=30)
    try:
        imap.starttls(ssl_context=_UNVERIFIED)
        imap.login(user, password)
    except imaplib.IMAP4.error:
        return False
    finally:
        imap.shutdown()
    return True


def on_server(host: hosts.TestHost, script: str) -> str:
    return hosts.podman("exec", host.name, "sh", "-c", script).stdout


def test_a_sieve_script_that_does_not_compile_fails_its_mailbox_alone(
    server: Server,
    testhost: hosts.TestHost,
    account_a: Account,
    account_b: Account,
    customer_a: User,
    customer_b: User,
) -> None:
    domain_a, _ = mail.mail_domain_create(account=account_a, name="a-isolation.example", actor=customer_a)
    domain_b, _ = mail.mail_domain_create(account=account_b, name="b-isolation.example", actor=customer_b)
    alice, _ = mail.mailbox_create(account=account_a, name="alice", password=PASSWORD, actor=customer_a)
    bob, _ = mail.mailbox_create(account=account_b, name="bob", password=PASSWORD, actor=customer_b)
    run(server, "mail")
    good_script = 'require "fileinto";\nif header :contains "subject" "x" { fileinto "INBOX"; }\n'
    mail.mailbox_update(mailbox=alice, sieve_custom=good_script, actor=customer_a)
    run(server, "mail")
    assert Mailbox.objects.get(pk=alice.pk).apply_state == "applied"
    live_script = on_server(testhost, "cat /var/lib/dovecot/sieve/alice.sieve")

    # Past the panel's own check on purpose: what only the server's compiler refuses reaches it this way.
    Mailbox.objects.filter(pk=alice.pk).update(sieve_custom="this is { not sieve")
    broken = request(server=server, service="mail", objects=[(alice, "mailbox:alice")], actor=None)
    address, change_set = mail.address_create(domain=domain_b, local_part="new", mailboxes=[bob], actor=customer_b)
    assert broken.pk == change_set.pk  # both accounts' changes share one run
    run(server, "mail")
    change_set.refresh_from_db()
    assert change_set.state == "partial"
    alice = Mailbox.objects.get(pk=alice.pk)
    assert alice.apply_state == "failed" and "sieve script of alice" in alice.apply_error, alice.apply_error
    assert Address.objects.get(pk=address.pk).apply_state == "applied"
    assert "alice" not in Address.objects.get(pk=address.pk).apply_error
    assert rcpt(testhost, "new@b-isolation.example") == 250  # B's new address went live
    assert on_server(testhost, "cat /var/lib/dovecot/sieve/alice.sieve") == live_script  # the old one stays
    assert can_login(testhost, "alice", PASSWORD)

    # The next change of another account is applied outright, though alice's script is still refused.
    _, later = mail.address_create(domain=domain_b, local_part="later", mailboxes=[bob], actor=customer_b)
    run(server, "mail")
    later.refresh_from_db()
    assert later.state == "applied" and rcpt(testhost, "later@b-isolation.example") == 250
    assert domain_a.pk and Mailbox.objects.get(pk=alice.pk).apply_state == "failed"

    # The customer's fix converges it, no staff involved.
    _, fixed = mail.mailbox_update(mailbox=alice, sieve_custom="", actor=customer_a)
    run(server, "mail")
    fixed.refresh_from_db()
    assert fixed.state == "applied" and Mailbox.objects.get(pk=alice.pk).apply_state == "applied"


def test_drift_sees_hand_edits_of_every_managed_file_and_converge_restores_them(
    server: Server, testhost: hosts.TestHost, account_a: Account, customer_a: User
) -> None:
    zone, _ = zone_create(account=account_a, name="drift.example", actor=customer_a)
    record_create(zone=zone, name="www", type="A", value="192.0.2.80", actor=customer_a)
    mail.mail_domain_create(account=account_a, name="drift.example", actor=customer_a)
    alice, _ = mail.mailbox_create(account=account_a, name="alice", password=PASSWORD, actor=customer_a)
    mail.mailbox_update(mailbox=alice, spam="junk", actor=customer_a)
    run(server, "dns")
    run(server, "mail")
    for service in ("dns", "mail"):
        assert engine.check(server, service, kind=RunKind.DRIFT).drift is False, service

    rogue = "rogue:{PLAIN}rogue-password::::::"
    on_server(
        testhost,
        f"echo '{rogue}' >> /etc/dovecot/users; "
        "echo 'keep;' > /var/lib/dovecot/sieve/rogue.sieve; "
        "echo 'evil.example baton' >> /etc/postfix/virtual_domains; "
        "sed -i 's/192.0.2.80/192.0.2.66/' /etc/bind/zones/drift.example.db",
    )
    assert can_login(testhost, "rogue", "rogue-password")  # the hand edit is live

    drift = {service: engine.check(server, service, kind=RunKind.DRIFT) for service in ("dns", "mail")}
    assert drift["dns"].drift is True and drift["mail"].drift is True
    mail_diff = "\n".join(event.diff for event in drift["mail"].events.all())
    assert "/etc/dovecot/users" in mail_diff and "content hidden" in mail_diff
    assert "rogue-password" not in mail_diff and "SHA512" not in mail_diff  # never the content of a secret file
    assert "rogue.sieve" in mail_diff and "evil.example" in mail_diff
    assert "192.0.2.80" in "\n".join(event.diff for event in drift["dns"].events.all())

    for service in ("dns", "mail"):
        request(server=server, service=service, objects=(), actor=None)
        run(server, service)
    assert not can_login(testhost, "rogue", "rogue-password")
    assert "rogue.sieve" not in on_server(testhost, "ls /var/lib/dovecot/sieve/")
    assert "evil.example" not in on_server(testhost, "cat /etc/postfix/virtual_domains")
    response = dns.query.udp(
        dns.message.make_query("www.drift.example.", "A"), "127.0.0.1", port=testhost.ports[53], timeout=3
    )
    assert response.rcode() == dns.rcode.NOERROR and "192.0.2.80" in response.answer[0].to_text()
    for service in ("dns", "mail"):
        assert engine.check(server, service, kind=RunKind.DRIFT).drift is False, service
    assert Zone.objects.get(pk=zone.pk).apply_state == "applied"
