"""Suspension from the API down to the servers: a customer's zone and mail on a real DNS primary (which is also
the mail server) and a real secondary, applied by real Huey workers; staff disable the account through the API
and dig, SMTP and IMAP prove the zone is no longer served on either name server and the mailbox refuses login
and mail; staff enable it again and the same checks prove everything is back, the mail stored before intact."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import hosts
from tests.e2e.conftest import Api, Worker, customer_api, dig, eventually, rcpt, register_server, served_now, staff_api
from tests.e2e.test_mail_e2e import can_login, send, subjects

pytestmark = pytest.mark.e2e
ZONE = "susp-e2e.example"
PASSWORD = "suspended password: 1"


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[hosts.TestHost, hosts.TestHost]]:
    names = ("baton-e2e-susp1", "baton-e2e-susp2")
    try:
        yield hosts.start(names[0], ports=[53, 25, 143]), hosts.start(names[1], ports=[53])
    finally:
        for name in names:
            hosts.stop(name)


def rcode(host: hosts.TestHost, name: str) -> str:
    import dns.flags
    import dns.message
    import dns.query
    import dns.rcode

    response = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=host.ports[53], timeout=3)
    authoritative = bool(response.flags & dns.flags.AA)
    return f"{dns.rcode.to_text(response.rcode())}{' aa' if authoritative else ''}"


def all_applied(staff: Api, change_sets: list[int]) -> None:
    for change_set in change_sets:
        state = staff.wait_applied(change_set, timeout=180)
        assert state["state"] == "applied", state


def set_up(live_server: Any, servers: tuple[hosts.TestHost, hosts.TestHost]) -> tuple[Api, Api, int]:
    staff = staff_api(live_server, "susp-staff")
    primary = register_server(staff, servers[0], ["dns-primary", "mail"])
    register_server(staff, servers[1], ["dns-secondary"])
    for role in ("dns-primary", "mail"):
        staff.ok("POST", "/api/placements/", {"role": role, "server": primary["id"]})
    customer = customer_api(live_server, staff, "suspendee")
    (account,) = staff.ok("GET", "/api/accounts/?search=suspendee")["results"]
    return staff, customer, account["id"]


def test_disabling_an_account_stops_its_zone_and_mail_on_the_servers_and_enabling_brings_them_back(
    live_server: Any, start_worker: Callable[[], Worker], servers: tuple[hosts.TestHost, hosts.TestHost]
) -> None:
    start_worker()
    staff, customer, account = set_up(live_server, servers)
    primary, secondary = servers

    zone = customer.ok("POST", "/api/zones/", {"name": ZONE})
    customer.ok("POST", "/api/records/", {"zone": zone["id"], "name": "www", "type": "A", "value": "192.0.2.80"})
    domain = customer.ok("POST", "/api/mail/domains/", {"name": ZONE})
    alice = customer.ok("POST", "/api/mail/mailboxes/", {"name": "alice", "password": PASSWORD})
    address = customer.ok(
        "POST", "/api/mail/addresses/", {"domain": domain["id"], "local_part": "info", "mailboxes": [alice["id"]]}
    )
    all_applied(staff, [zone["change_set"], address["change_set"]])
    eventually(lambda: customer.ok("GET", f"/api/zones/{zone['id']}/")["apply_state"], "applied", 90)
    for server in (primary, secondary):
        served_now(lambda server=server: dig(server, f"www.{ZONE}.", "A"), ["192.0.2.80"], "a new record")
    send(primary, "someone@outside.example", f"info@{ZONE}", "before the suspension")
    eventually(lambda: subjects(primary, "alice", PASSWORD), ["before the suspension"], 30)
    assert rcpt(primary, f"info@{ZONE}") == 250

    # Staff disable the account: every object is requested again on every server carrying it.
    disabled = staff.ok("POST", f"/api/accounts/{account}/disable/")
    assert disabled["is_active"] is False and len(disabled["change_sets"]) == 3  # DNS primary, secondary, mail
    all_applied(staff, disabled["change_sets"])
    for server in (primary, secondary):
        assert rcode(server, f"www.{ZONE}.") == "REFUSED", "a suspended zone is not served"
    assert not can_login(primary, "alice", PASSWORD)
    assert 500 <= rcpt(primary, f"info@{ZONE}") < 600, "a suspended address refuses mail at RCPT"

    # The customer sees every object suspended and may change none of them.
    for path, pk in [
        ("zones", zone["id"]),
        ("mail/domains", domain["id"]),
        ("mail/mailboxes", alice["id"]),
        ("mail/addresses", address["id"]),
    ]:
        assert customer.ok("GET", f"/api/{path}/{pk}/")["suspended"] is True, path
        eventually(lambda path=path, pk=pk: customer.ok("GET", f"/api/{path}/{pk}/")["apply_state"], "applied", 30)
    status, refused = customer.call("POST", "/api/mail/mailboxes/", {"name": "bob", "password": PASSWORD})
    assert status == 409 and refused["code"] == "account_disabled", refused
    status, refused = customer.call("POST", "/api/records/", {"zone": zone["id"], "type": "A", "value": "192.0.2.1"})
    assert status == 409 and refused["code"] == "account_disabled", refused

    # Enabling restores all of it: the zone with its records on both name servers, login, delivery, old mail.
    enabled = staff.ok("POST", f"/api/accounts/{account}/enable/")
    assert enabled["is_active"] is True and len(enabled["change_sets"]) == 3
    all_applied(staff, enabled["change_sets"])
    serial = int(customer.ok("GET", f"/api/zones/{zone['id']}/")["serial"])
    for server in (primary, secondary):
        served_now(lambda server=server: [int(soa.split()[2]) for soa in dig(server, f"{ZONE}.", "SOA")], [serial])
        assert dig(server, f"www.{ZONE}.", "A") == ["192.0.2.80"]
        assert rcode(server, f"www.{ZONE}.") == "NOERROR aa"
    assert can_login(primary, "alice", PASSWORD)
    assert subjects(primary, "alice", PASSWORD) == ["before the suspension"], "stored mail is untouched"
    send(primary, "someone@outside.example", f"info@{ZONE}", "after the suspension")
    eventually(lambda: subjects(primary, "alice", PASSWORD), ["after the suspension", "before the suspension"], 30)
    assert customer.ok("GET", f"/api/mail/mailboxes/{alice['id']}/")["suspended"] is False
