#!/usr/bin/env python3
"""Mail figures on a real mail server (postfix + dovecot in a test container), in one run:

  1. one mailbox created through the REST API until its first IMAP login succeeds: p50 and p95 over
     --latency-mailboxes;
  2. --bulk mailboxes created through the API until all are applied, twice: one request per mailbox as fast as one
     client can (total time and the number of runs it took: coalescing), then the same number in one request to
     POST /api/mail/mailboxes/bulk/ (at most 1,000 per request);
  3. a no-op converge of the server once it holds --noop-mailboxes mailboxes and as many addresses.
Goals: p50 <= 2 s; 1,000 mailboxes <= 15 s; no-op converge at 10,000 <= 20 s.

    .venv/bin/python bench/mail_bench.py [--latency-mailboxes 20] [--bulk 1000] [--noop-mailboxes 10000]
"""

from __future__ import annotations

import argparse
import imaplib
import ssl
import time

from common import Panel, percentile

PASSWORD = "bench mailbox password"
SETUP = """
from panel.accounts.services import account_create, user_create, token_create
from panel.mail.services import mail_domain_create
account = account_create(handle="bench", name="Bench", actor=None,
                         contacts=[dict(name="B", email="b@bench-elsewhere.org", usages=["emergency"])])
user = user_create(username="bench", password="bench-password-1", account=account, actor=None)
mail_domain_create(account=account, name="bench.example", actor=None)
print("KEY", token_create(user=user, name="bench", actor=None)[1])
"""
FILL = """
from panel.accounts.models import Account
from panel.mail.models import Address, MailDomain, Mailbox
from panel.mail.passwords import dovecot_hash
account, domain = Account.objects.get(handle="bench"), MailDomain.objects.get(name="bench.example")
server, hashed = domain.server, dovecot_hash("{password}")
boxes = Mailbox.objects.bulk_create(Mailbox(name=f"fill{{i:05d}}", account=account, server=server,
                                            password_hash=hashed) for i in range({count}))
addresses = Address.objects.bulk_create(Address(domain=domain, local_part=box.name) for box in boxes)
Address.mailboxes.through.objects.bulk_create(Address.mailboxes.through(address_id=a.pk, mailbox_id=b.pk)
                                              for a, b in zip(addresses, boxes))
"""
COUNT_RUNS = """
from panel.provisioning.models import Run
print("RUNS", Run.objects.filter(kind="apply", service="mail", started_at__gte="{since}").count())
"""
LAST_RUN = """
from panel.provisioning.models import Run
print(round(Run.objects.filter(service="mail").latest("started_at").duration, 1))
"""
_TLS = ssl.create_default_context()
_TLS.check_hostname, _TLS.verify_mode = False, ssl.CERT_NONE


def imap_login(port: int, user: str) -> bool:
    try:
        imap = imaplib.IMAP4("127.0.0.1", port, timeout=10)
        imap.starttls(ssl_context=_TLS)
        imap.login(user, PASSWORD)
        imap.logout()
    except (imaplib.IMAP4.error, OSError):
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-mailboxes", type=int, default=20)
    parser.add_argument("--bulk", type=int, default=1000)
    parser.add_argument("--noop-mailboxes", type=int, default=10000)
    args = parser.parse_args()

    with Panel("baton-bench-mx1", ["mail"], [143]) as panel:
        key = panel.shell(SETUP).split()[-1]
        started = time.monotonic()
        panel.manage("converge", panel.host.name, "mail")
        print(f"first converge of the mail server: {time.monotonic() - started:.1f} s", flush=True)
        panel.start_processes()
        imap_port = panel.host.ports[143]

        latencies: list[float] = []
        applied: list[float] = []
        for i in range(args.latency_mailboxes):
            started = time.monotonic()
            box = panel.api(key, "POST", "/api/mail/mailboxes/", {"name": f"lat{i:03d}", "password": PASSWORD})
            # Like a mail client set up after the panel shows the mailbox ready: poll the API, then log in. (Probing
            # IMAP blindly would measure dovecot's auth_failure_delay: each refused attempt is answered after 2 s.)
            while panel.api(key, "GET", f"/api/mail/mailboxes/{box['id']}/")["apply_state"] != "applied":
                if time.monotonic() - started > 120:
                    raise TimeoutError("a mailbox was not applied within 120 s")
                time.sleep(0.05)
            applied.append(time.monotonic() - started)
            while not imap_login(imap_port, f"lat{i:03d}"):
                if time.monotonic() - started > 120:
                    raise TimeoutError("a mailbox did not work within 120 s")
                time.sleep(0.1)
            latencies.append(time.monotonic() - started)
        print(
            f"mailbox created -> applied, {args.latency_mailboxes} mailboxes: "
            f"p50 {percentile(applied, 0.5):.2f} s, p95 {percentile(applied, 0.95):.2f} s",
            flush=True,
        )
        print(
            f"mailbox created -> first IMAP login, {args.latency_mailboxes} mailboxes: "
            f"p50 {percentile(latencies, 0.5):.2f} s, p95 {percentile(latencies, 0.95):.2f} s (goal p50 <= 2 s)",
            flush=True,
        )

        def create_one_by_one(prefix: str) -> None:
            for i in range(args.bulk):
                panel.api(key, "POST", "/api/mail/mailboxes/", {"name": f"{prefix}{i:05d}", "password": PASSWORD})

        def create_in_bulk(prefix: str) -> None:
            for first in range(0, args.bulk, 1000):
                entries = [
                    {"name": f"{prefix}{i:05d}", "password": PASSWORD}
                    for i in range(first, min(args.bulk, first + 1000))
                ]
                panel.api(key, "POST", "/api/mail/mailboxes/bulk/", {"mailboxes": entries})

        for how, prefix, create in (
            ("one request each", "one", create_one_by_one),
            ("bulk endpoint", "blk", create_in_bulk),
        ):
            since = panel.shell("from django.utils import timezone; print(timezone.now().isoformat())").split()[-1]
            started = time.monotonic()
            create(prefix)
            api_done = time.monotonic() - started
            while panel.api(key, "GET", "/api/mail/mailboxes/?apply_state=pending&page_size=1")["count"]:
                if time.monotonic() - started > 900:
                    raise TimeoutError("the bulk mailboxes did not apply within 15 minutes")
                time.sleep(0.2)
            total = time.monotonic() - started
            runs = panel.shell(COUNT_RUNS.format(since=since)).split()[-1]
            print(
                f"{args.bulk} mailboxes through the API, {how}: created in {api_done:.1f} s, all applied after "
                f"{total:.1f} s, in {runs} runs (goal <= 15 s)",
                flush=True,
            )
        panel.stop_processes()

        fill = max(0, args.noop_mailboxes - 2 * args.bulk - args.latency_mailboxes)
        panel.shell(FILL.format(password=PASSWORD, count=fill))
        started = time.monotonic()
        panel.manage("converge", panel.host.name, "mail")
        print(f"converge that adds {fill} mailboxes and addresses: {time.monotonic() - started:.1f} s", flush=True)
        started = time.monotonic()
        panel.manage("converge", panel.host.name, "mail")
        elapsed = time.monotonic() - started
        ansible = panel.shell(LAST_RUN).split()[-1]
        print(
            f"no-op converge at {args.noop_mailboxes} mailboxes and addresses: {elapsed:.1f} s, of which the "
            f"Ansible run {ansible} s (goal <= 20 s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
