"""Deleting an account takes it off its server in the same request: a customer's zone, mailbox and address,
website and SFTP login on one real server (DNS primary, mail and web), all served; staff delete the account
through the API, and once the change sets it answered with are applied, dig, SMTP, IMAP, HTTP and SFTP each ask
once and get no answer for it, while another account on the same server goes on. Its home stays on disk until
staff (or the daily task, after the grace period) remove it: then only its home goes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import paramiko
import pytest

from panel.accounts.models import User
from panel.systemusers.models import UnixId
from panel.systemusers.services import remains_purge
from tests import hosts
from tests.e2e.conftest import Api, Worker, customer_api, dig, rcpt, register_server, served_now, staff_api
from tests.e2e.test_mail_e2e import can_login
from tests.e2e.test_suspension_e2e import rcode
from tests.e2e.test_websites_e2e import get, neutral
from tests.sftp import upload

pytestmark = pytest.mark.e2e
PASSWORD = "deleted account password 1"


@pytest.fixture(scope="module")
def server() -> Iterator[hosts.TestHost]:
    name = "baton-e2e-del1"
    try:
        yield hosts.start(name, ports=[53, 25, 143, 80])
    finally:
        hosts.stop(name)


def applied(staff: Api, change_sets: list[int]) -> None:
    for change_set in sorted(set(change_sets)):
        state = staff.wait_applied(change_set, timeout=240)
        assert state["state"] == "applied", state


def everything_of(customer: Api, handle: str, zone: str) -> list[int]:
    """A zone, a mail domain with a mailbox and an address, a website with a page, the account's SFTP password."""
    made = [
        customer.ok("POST", "/api/zones/", {"name": zone}),
        customer.ok("POST", "/api/mail/domains/", {"name": zone}),
        box := customer.ok("POST", "/api/mail/mailboxes/", {"name": handle, "password": PASSWORD}),
        customer.ok("POST", "/api/websites/", {"name": "www", "domains": [f"www.{zone}"]}),
    ]
    domain = made[1]
    made.append(
        customer.ok(
            "POST", "/api/mail/addresses/", {"domain": domain["id"], "local_part": "info", "mailboxes": [box["id"]]}
        )
    )
    [main] = customer.ok("GET", f"/api/systemusers/?search={handle}")["results"]
    made.append(customer.ok("POST", f"/api/systemusers/{main['id']}/set-password/", {"password": PASSWORD}))
    return [int(m["change_set"]) for m in made]


def sftp_refused(host: hosts.TestHost, user: str) -> bool:
    try:
        upload(host.ssh_port, user, PASSWORD, {})
    except paramiko.AuthenticationException:
        return True
    return False


def test_a_deleted_account_stops_answering_on_every_protocol(
    live_server: Any, start_worker: Callable[[], Worker], server: hosts.TestHost
) -> None:
    start_worker()
    staff = staff_api(live_server, "del-staff")
    registered = register_server(staff, server, ["dns-primary", "mail", "web"])
    for role in ("dns-primary", "mail", "web"):
        staff.ok("POST", "/api/placements/", {"role": role, "server": registered["id"]})
    gone, kept = customer_api(live_server, staff, "goneco"), customer_api(live_server, staff, "keptco")
    applied(staff, everything_of(gone, "goneco", "gone-e2e.example"))
    applied(staff, everything_of(kept, "keptco", "kept-e2e.example"))
    upload(server.ssh_port, "goneco", PASSWORD, {"/web/www/public/index.html": b"gone's page\n"})
    upload(server.ssh_port, "keptco", PASSWORD, {"/web/www/public/index.html": b"kept's page\n"})
    assert get(server, "www.gone-e2e.example", "/") == (200, "gone's page\n")
    assert rcpt(server, "info@gone-e2e.example") == 250 and can_login(server, "goneco", PASSWORD)

    account = staff.ok("GET", "/api/accounts/?search=goneco")["results"][0]["id"]
    status, deleted = staff.call("DELETE", f"/api/accounts/{account}/")
    assert (status, deleted["status"]) == (202, "deleted"), deleted
    assert deleted["change_sets"], "the deletion requests the runs that take the account off its server"
    applied(staff, deleted["change_sets"])

    served_now(lambda: dig(server, "gone-e2e.example.", "SOA"), [], "a deleted account's zone")
    served_now(lambda: rcode(server, "www.gone-e2e.example."), "REFUSED", "a name in a deleted account's zone")
    served_now(lambda: 500 <= rcpt(server, "info@gone-e2e.example") < 600, True, "a deleted account's address")
    served_now(lambda: can_login(server, "goneco", PASSWORD), False, "a deleted account's mailbox")
    served_now(lambda: neutral(get(server, "www.gone-e2e.example", "/")), True, "a deleted account's site")
    served_now(lambda: sftp_refused(server, "goneco"), True, "a deleted account's SFTP login")
    # The other account on the same server goes on.
    assert get(server, "www.kept-e2e.example", "/") == (200, "kept's page\n")
    assert rcpt(server, "info@kept-e2e.example") == 250 and can_login(server, "keptco", PASSWORD)
    assert dig(server, "kept-e2e.example.", "SOA") != []

    # Its files stay on disk (served by nothing) for the grace period; then the removal takes only its home.
    def home_of(handle: str) -> bool:
        found = hosts.podman(
            "exec", hosts.container_name(server.name), "test", "-d", f"/srv/baton/{handle}", check=False
        )
        return found.returncode == 0

    assert home_of("goneco") and home_of("keptco")
    removal = remains_purge(unix_id=UnixId.objects.get(handle="goneco"), actor=User.objects.get(username="del-staff"))
    applied(staff, [change_set.pk for change_set in removal])
    assert not home_of("goneco"), "the deleted account's home is gone"
    assert home_of("keptco") and get(server, "www.kept-e2e.example", "/") == (200, "kept's page\n")
    assert UnixId.objects.get(handle="goneco").purged_at is not None
