"""Attach a local test server to the demo as its DNS primary, mail server and web server, and give the demo
customer a zone, a mail domain, a mailbox, an address, an SFTP user and a PHP site.

Reads the connection details `python -m tests.hosts start NAME -p 53` wrote. Idempotent: a restarted test
server (new ports, new host key) is updated, its key confirmed, and the demo zone converged onto it again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from panel.accounts.models import Account
from panel.dns.models import Zone
from panel.dns.services import record_create, zone_create
from panel.mail import services as mail
from panel.mail.models import MailDomain
from panel.provisioning.services import request
from panel.servers.choices import ServerRole
from panel.servers.hostkeys import fingerprint
from panel.servers.models import Server
from panel.servers.services import (
    placement_set,
    server_confirm_host_key,
    server_register,
    server_rescan_host_key,
    server_update,
)
from panel.settings.env import VAR_DIR
from panel.systemusers import services as systemusers
from panel.systemusers.models import SystemUser
from panel.web.demo_tls import demo_certificate
from panel.web.models import Certificate, Website
from panel.web.services import website_certificate_set, website_create, website_update

DEMO_ZONE = "demo.example"
DEMO_MAILBOX = ("demo", "demo-mailbox-password")
DEMO_SFTP_PASSWORD = "demo-sftp-password"
DEMO_ROLES: list[str] = [ServerRole.DNS_PRIMARY, ServerRole.MAIL, ServerRole.WEB]
DEMO_RECORDS = [
    {"name": "www", "type": "A", "value": "192.0.2.80"},
    {"name": "mail", "type": "A", "value": "192.0.2.25"},  # before the MX that points to it
    {"name": "@", "type": "MX", "value": "10 mail"},
    {"name": "@", "type": "TXT", "value": "v=spf1 mx -all"},
]


class Command(BaseCommand):
    help = "Register a local test server as the demo's DNS primary and mail server and seed demo objects."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("host_json", type=Path, help="the JSON written by `python -m tests.hosts start`")

    def handle(self, *args: Any, host_json: Path, **options: Any) -> None:
        host = json.loads(host_json.read_text())
        server = self._server(host)
        placement_set(role=ServerRole.DNS_PRIMARY, server=server, actor=None)
        placement_set(role=ServerRole.MAIL, server=server, actor=None)
        placement_set(role=ServerRole.WEB, server=server, actor=None)
        account = Account.objects.get(handle="demo")
        zone = Zone.objects.filter(name=DEMO_ZONE).first()
        if zone is None:
            zone, _ = zone_create(account=account, name=DEMO_ZONE, actor=None)
            for record in DEMO_RECORDS:
                record_create(zone=zone, name=record["name"], type=record["type"], value=record["value"], actor=None)
        else:
            request(server=server, service="dns", objects=(), actor=None)  # a fresh server: converge it fully
        if not MailDomain.objects.filter(name=DEMO_ZONE).exists():
            domain, _ = mail.mail_domain_create(account=account, name=DEMO_ZONE, actor=None)
            mailbox, _ = mail.mailbox_create(
                account=account, name=DEMO_MAILBOX[0], password=DEMO_MAILBOX[1], actor=None
            )
            mail.address_create(domain=domain, local_part="info", mailboxes=[mailbox], actor=None)
        else:
            request(server=server, service="mail", objects=(), actor=None)
        if not SystemUser.objects.filter(account=account, is_main=True).exists():
            systemusers.system_user_create(
                account=account, name=account.handle, password=DEMO_SFTP_PASSWORD, actor=None
            )
        else:
            request(server=server, service="users", objects=(), actor=None)
        site = Website.objects.filter(account=account, name="www").first()
        if site is None:
            site, _ = website_create(account=account, name="www", domains=[f"www.{DEMO_ZONE}", DEMO_ZONE], actor=None)
        else:
            request(server=server, service="web", objects=(), actor=None)
        root = self._https(site)
        ports = host["ports"]
        self.stdout.write(
            f"\nTest server {server.name} (SSH on 127.0.0.1:{server.ssh_port}) serves the demo:\n"
            f"  dig @127.0.0.1 -p {ports['53']} www.{DEMO_ZONE}\n"
            f"  mail to info@{DEMO_ZONE}: SMTP on 127.0.0.1:{ports['25']}, e.g.\n"
            f"    python3 -c \"import smtplib; smtplib.SMTP('127.0.0.1', {ports['25']}).sendmail("
            f"'me@example.org', 'info@{DEMO_ZONE}', 'Subject: hello\\n\\nfirst mail')\"\n"
            f"  read it with any IMAP client: 127.0.0.1:{ports['143']}, user {DEMO_MAILBOX[0]}, "
            f"password {DEMO_MAILBOX[1]} (submission: 127.0.0.1:{ports['587']})\n"
            f"  SFTP as the demo account (chrooted to its home /srv/baton/{account.handle}):\n"
            f"    sftp -P {server.ssh_port} {account.handle}@127.0.0.1   (password {DEMO_SFTP_PASSWORD})\n"
            f"  the PHP site www.{DEMO_ZONE} (files in /web/www/public over SFTP), e.g.\n"
            f"    echo '<?php echo \"Hello from \" . get_current_user() . PHP_EOL;' > index.php\n"
            f"    echo 'put index.php web/www/public/' | sftp -P {server.ssh_port} {account.handle}@127.0.0.1\n"
            f"    curl -H 'Host: www.{DEMO_ZONE}' http://127.0.0.1:{ports.get('80', '?')}/\n"
            f"  and over HTTPS, its certificate from the demo CA ({root}):\n"
            f"    curl --cacert {root} --resolve www.{DEMO_ZONE}:{ports.get('443', '?')}:127.0.0.1 "
            f"https://www.{DEMO_ZONE}:{ports.get('443', '?')}/\n"
            f"Change a record or a mailbox in the panel or the API: the server follows within seconds.\n"
        )

    def _https(self, site: Website) -> Path:
        """The demo site serves HTTPS with a certificate of the demo CA (a new one when it has none)."""
        names = [f"www.{DEMO_ZONE}", DEMO_ZONE]
        issued = demo_certificate(VAR_DIR / "demo-ca", names)
        if not Certificate.objects.filter(website=site).exists():
            website_certificate_set(website=site, certificate=issued.certificate, key=issued.key, actor=None)
        if site.https == "off":
            website_update(website=site, https="on", actor=None)
        return issued.root_file

    def _server(self, host: dict[str, Any]) -> Server:
        server = Server.objects.filter(name=host["name"]).first()
        if server is None:
            server = server_register(
                name=host["name"],
                address="127.0.0.1",
                ssh_port=host["ssh_port"],
                roles=DEMO_ROLES,
                service_address=host["address"] or None,
                host_key=host["host_key"],
                actor=None,
            )
        else:
            server = server_update(
                server=server,
                ssh_port=host["ssh_port"],
                service_address=host["address"] or None,
                roles=DEMO_ROLES,
                actor=None,
            )
            server = server_rescan_host_key(server=server, actor=None)
        # The demo trusts the key the test-host tool read from the container it just started.
        return server_confirm_host_key(server=server, fingerprint=fingerprint(host["host_key"]), actor=None)
