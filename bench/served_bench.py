#!/usr/bin/env python3
""" "Applied" means served, per service, through the panel on one real test server (DNS primary, mail, web):

For each service, twice --changes changes made through the REST API, measured separately:
  - applied + first attempt (the first --changes): the time from the write until the panel says `applied`, then
    ONE protocol request (no retry); a first attempt that fails is counted;
  - polling from the write (the next --changes): the same protocol request repeated every 20 ms from the moment
    of the write until it succeeds (the latency a customer sees).
The services and their changes:
  - DNS: a new A record in a zone -> `dig` answers it;
  - mail: a new mail domain and an address on it (two writes) -> the first RCPT TO gets 250;
  - web: a new name on a site (PATCH of its domains) -> HTTP with that Host gets the site's page (unknown names get
    another site's page, first in load order);
  - site (`--services site`): a new PHP site of an account that has one already -> its index.php uploaded over SFTP
    (its directory exists once the site is applied) and HTTP with its name gets the page PHP wrote (the upload
    is part of the first attempt, and of each polling attempt);
  - SSH keys: a new key on an SFTP user -> a key login works; the key revoked -> refused;
  - TLS (`--services tls`): a new certificate uploaded for a site serving HTTPS -> the TLS handshake with SNI = Host
    shows it (its SHA-256 fingerprint).
Goal of issue 26: p50 <= 1.5 s for every service, zero first-attempt failures; of issue 28: a certificate change
served, p50 <= 1.5 s, and a site created -> its PHP page 200, p50 <= 1.5 s.

    .venv/bin/python bench/served_bench.py [--changes 20] [--services web,site,tls] [--sites 1000]

With --sites N, N sites of N/10 other accounts are on the server first: a site's change at 1,000 sites (goal of
issue 28: p50 <= 2.5 s) is `--services web --sites 1000`.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

import dns.exception
import dns.message
import dns.query
from common import Panel, percentile
from cryptography.hazmat.primitives import serialization

from tests.certs import Issued, issue
from tests.sftp import key_login, upload
from tests.sshkeys import key_pair

SETUP = """
from panel.accounts.services import account_create, user_create, token_create
account = account_create(handle="bench", name="Bench", actor=None,
                         contacts=[dict(name="B", email="b@bench-elsewhere.org", usages=["emergency"])])
user = user_create(username="bench", password="bench-password-1", account=account, actor=None)
print("KEY", token_create(user=user, name="bench", actor=None)[1])
"""
SFTP_PASSWORD = "bench-sftp-password-1"
PHP_PAGE = b"<?php echo 'php ', PHP_MAJOR_VERSION, \"\\n\";"
# --sites: filler sites of other accounts on the same server (ten per account), created through the services; the
# worker applies them (full runs) before anything is measured.
FILL = """
from panel.accounts.services import account_create
from panel.web.services import website_create
for a in range({accounts}):
    account = account_create(handle=f"fill{{a}}", name=f"Fill {{a}}", actor=None,
                             contacts=[dict(name="F", email="f@bench-elsewhere.org", usages=["emergency"])])
    for s in range(10):
        website_create(account=account, name=f"s{{s}}", domains=[f"s{{s}}.fill{{a}}.bench-fill.example"], actor=None)
"""


class Service:
    """One service's change and its protocol check; `change(i)` returns the change set to wait for, `served(i)`
    asks the server once."""

    def __init__(self, key: str, name: str, change: Callable[[int], int], served: Callable[[int], bool]) -> None:
        self.key, self.name, self.change, self.served = key, name, change, served
        self.applied: list[float] = []
        self.polled: list[float] = []
        self.first_failures = 0


def served_fingerprint(port: int, host: str) -> str:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as plain,
        context.wrap_socket(plain, server_hostname=host) as tls,
    ):
        return hashlib.sha256(tls.getpeercert(binary_form=True) or b"").hexdigest()


def fingerprint_of(issued: Issued) -> str:
    return hashlib.sha256(issued.certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def dig_a(port: int, name: str) -> list[str]:
    response = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=2)
    return [rdata.to_text() for rrset in response.answer for rdata in rrset]


def rcpt(port: int, recipient: str) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("someone@outside.example")
        return smtp.rcpt(recipient)[0]


def page(port: int, host: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/", headers={"Host": host})
        return connection.getresponse().read().decode(errors="replace")
    finally:
        connection.close()


class Bench:
    def __init__(self, panel: Panel, token: str) -> None:
        self.panel, self.token = panel, token

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.panel.api(self.token, method, path, body)

    def wait_applied(self, change_set: int) -> None:
        deadline = time.monotonic() + 180
        while (state := self.api("GET", f"/api/changesets/{change_set}/")["state"]) not in {"applied", "partial",
                                                                                             "failed"}:  # fmt: skip
            if time.monotonic() > deadline:
                raise TimeoutError(f"change set {change_set} still {state}")
            time.sleep(0.02)
        if state != "applied":
            raise RuntimeError(f"change set {change_set} {state}: {self.api('GET', f'/api/changesets/{change_set}/')}")

    def measure_applied(self, service: Service, i: int) -> None:
        """The write, the wait for `applied`, then one protocol request."""
        started = time.monotonic()
        self.wait_applied(service.change(i))
        service.applied.append(time.monotonic() - started)
        if not service.served(i):
            service.first_failures += 1

    def measure_polled(self, service: Service, i: int) -> None:
        """The write, then the protocol request every 20 ms until it succeeds (the change set is still waited
        for, unmeasured, so that changes never overlap)."""
        started = time.monotonic()
        change_set = service.change(i)
        while time.monotonic() - started < 120:
            try:
                if service.served(i):
                    service.polled.append(time.monotonic() - started)
                    break
            except (OSError, smtplib.SMTPException, dns.exception.DNSException):
                pass
            time.sleep(0.02)
        else:
            service.polled.append(float("inf"))
        self.wait_applied(change_set)


PROFILE = """
from panel.provisioning.models import Run
run = Run.objects.filter(service={service!r}, kind="apply").order_by("-started_at").first()
if run:
    steps = sorted(run.events.exclude(duration=None), key=lambda e: -e.duration)[:6]
    print(f"  last {service} run: {{run.duration:.2f}} s in Ansible; slowest tasks: " + ", ".join(
        f"{{e.task[:40]}} {{e.duration:.2f}}" for e in steps))
"""


def profile(panel: Panel, services: set[str]) -> None:
    """Where the last run of each service spent its time (the run's own duration, its slowest tasks)."""
    for service in sorted(services):
        print(panel.shell(PROFILE.format(service=service)).strip(), flush=True)


def report(service: Service) -> None:
    n = len(service.applied)
    print(
        f"{service.name:<22} applied + first attempt: p50 {percentile(service.applied, 0.5):.2f} s, "
        f"p95 {percentile(service.applied, 0.95):.2f} s, first-attempt failures {service.first_failures}/{n}; "
        f"polling from the write: p50 {percentile(service.polled, 0.5):.2f} s, "
        f"p95 {percentile(service.polled, 0.95):.2f} s",
        flush=True,
    )


def set_up(bench: Bench, ports: dict[int, int], ssh_port: int) -> dict[str, Any]:
    """The objects the changes build on, applied before anything is measured (the first full runs of every role
    are not what is measured)."""
    zone = bench.api("POST", "/api/zones/", {"name": "bench.example"})
    box = bench.api("POST", "/api/mail/mailboxes/", {"name": "bench", "password": "bench-mailbox-password-1"})
    # Outside the hosted zone: a new name then costs the web run alone (inside, its A record's DNS run comes first
    # on a server that also plays DNS, one run at a time per server).
    decoy = bench.api("POST", "/api/websites/", {"name": "aaa", "domains": ["decoy.web-bench.example"]})
    site = bench.api("POST", "/api/websites/", {"name": "www", "domains": ["www.web-bench.example"]})
    [main] = bench.api("GET", "/api/systemusers/?search=bench")["results"]
    password = bench.api("POST", f"/api/systemusers/{main['id']}/set-password/", {"password": SFTP_PASSWORD})
    sftp = bench.api("POST", "/api/systemusers/", {"name": "bench-keys"})
    for change_set in {zone["change_set"], box["change_set"], decoy["change_set"], site["change_set"],
                       password["change_set"], sftp["change_set"]}:  # fmt: skip
        bench.wait_applied(change_set)
    upload(
        ssh_port,
        "bench",
        SFTP_PASSWORD,
        {"/web/aaa/public/index.html": b"decoy\n", "/web/www/public/index.html": b"bench\n"},
    )
    return {"zone": zone, "box": box, "site": site, "sftp": sftp}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--sites", type=int, default=0, help="filler sites of other accounts on the server first")
    parser.add_argument(
        "--services", default="dns,mail,web,keys,tls,site", help="which of dns, mail, web, keys, tls, site to measure"
    )
    args = parser.parse_args()
    wanted = set(args.services.split(","))

    with Panel("baton-bench-served1", ["dns-primary", "mail", "web"], [53, 25, 80, 443]) as panel:
        panel.env["BATON_ANSIBLE_EXTRA_VARS"] = json.dumps({"users__penalty_exempt": ["0.0.0.0/0", "::/0"]})
        token = panel.shell(SETUP).split()[-1]
        if args.sites:
            panel.shell(FILL.format(accounts=max(1, args.sites // 10)))
        panel.start_processes()
        bench, ports, ssh_port = Bench(panel, token), panel.host.ports, panel.host.ssh_port
        started = time.monotonic()
        base = set_up(bench, ports, ssh_port)
        print(f"first runs of every role (packages, configuration): {time.monotonic() - started:.1f} s", flush=True)
        domains: list[str] = ["www.web-bench.example"]
        keys = {i: key_pair(f"served{i}") for i in range(2 * args.changes)}
        key_rows: dict[int, int] = {}

        def new_name(i: int) -> int:
            domains.append(f"n{i}.web-bench.example")
            return int(bench.api("PATCH", f"/api/websites/{base['site']['id']}/", {"domains": domains})["change_set"])

        def new_domain(i: int) -> int:
            domain = bench.api("POST", "/api/mail/domains/", {"name": f"m{i}.bench.example"})
            body = {"domain": domain["id"], "local_part": "hello", "mailboxes": [base["box"]["id"]]}
            return int(bench.api("POST", "/api/mail/addresses/", body)["change_set"])

        def new_key(i: int) -> int:
            body = {"system_user": base["sftp"]["id"], "key": keys[i][1]}
            row = bench.api("POST", "/api/systemusers/keys/", body)
            key_rows[i] = row["id"]
            return int(row["change_set"])

        # Wildcards: they cover the names the web changes add to the site.
        certificates = [issue("web-bench.example", names=["*.web-bench.example"]) for _ in range(2 * args.changes)]
        certificate_prints = [fingerprint_of(certificate) for certificate in certificates]
        certificate_url = f"/api/websites/{base['site']['id']}/certificate/"
        if "tls" in wanted:
            first = certificates[0]
            bench.api("PUT", certificate_url, {"certificate": first.certificate_pem, "key": first.key_pem()})
            https = bench.api("PATCH", f"/api/websites/{base['site']['id']}/", {"https": "on"})
            bench.wait_applied(int(https["change_set"]))

        def new_certificate(i: int) -> int:
            body = {"certificate": certificates[i].certificate_pem, "key": certificates[i].key_pem()}
            return int(bench.api("PUT", certificate_url, body)["change_set"])

        def php_page(i: int) -> bool:
            """The customer's first upload into the new site (its directory exists once the site is applied),
            then its first request: the page PHP wrote."""
            upload(ssh_port, "bench", SFTP_PASSWORD, {f"/web/p{i}/public/index.php": PHP_PAGE})
            return page(ports[80], f"p{i}.web-bench.example") == "php 8\n"

        def new_site(i: int) -> int:
            body = {"name": f"p{i}", "domains": [f"p{i}.web-bench.example"]}
            return int(bench.api("POST", "/api/websites/", body)["change_set"])

        def revoke(i: int) -> int:
            return int(bench.api("DELETE", f"/api/systemusers/keys/{key_rows[i]}/")["change_set"])

        body = {"zone": base["zone"]["id"], "type": "A", "value": "192.0.2.7"}

        def new_record(i: int) -> int:
            return int(bench.api("POST", "/api/records/", {**body, "name": f"r{i}"})["change_set"])

        services = [
            Service("dns", "DNS record", new_record,
                    lambda i: dig_a(ports[53], f"r{i}.bench.example.") == ["192.0.2.7"]),
            Service("mail", "mail domain + address", new_domain,
                    lambda i: rcpt(ports[25], f"hello@m{i}.bench.example") == 250),
            Service("web", "web: a site's new name", new_name,
                    lambda i: page(ports[80], f"n{i}.web-bench.example") == "bench\n"),
            Service("keys", "SSH key added", new_key, lambda i: key_login(ssh_port, "bench-keys", keys[i][0])),
            Service("keys", "SSH key revoked", revoke, lambda i: not key_login(ssh_port, "bench-keys", keys[i][0])),
            Service("site", "web: a new PHP site", new_site, php_page),
            Service("tls", "TLS: a new certificate", new_certificate,
                    lambda i: served_fingerprint(ports[443], "www.web-bench.example") == certificate_prints[i]),
        ]  # fmt: skip
        for service in services:
            if service.key not in wanted:
                continue
            # Separately, so that the polling does not slow the runs it measures: the first half of the changes is
            # measured by applied + one attempt, the second half by polling.
            for i in range(args.changes):
                bench.measure_applied(service, i)
            for i in range(args.changes, 2 * args.changes):
                bench.measure_polled(service, i)
            report(service)
        profile(panel, {"dns"} & wanted | ({"web", "users"} if wanted & {"web", "site", "tls"} else set()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
