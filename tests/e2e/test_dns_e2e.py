"""DNS from the API down to `dig`: two real name servers registered through the API, a customer's zone
and records created, changed and deleted through the API, applied by a real Huey worker, and proven with
real DNS queries against both servers."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests import hosts
from tests.e2e.conftest import Api, Worker, customer_api, dig, eventually, register_server, served_now, staff_api

pytestmark = pytest.mark.e2e
LONG_TXT = "v=DKIM1; k=rsa; p=" + "A" * 300


def set_up(live_server: Any, name_servers: tuple[hosts.TestHost, hosts.TestHost]) -> tuple[Api, Api]:
    staff = staff_api(live_server, "e2e-staff")
    primary = register_server(staff, name_servers[0], ["dns-primary"])
    register_server(staff, name_servers[1], ["dns-secondary"])
    staff.ok("POST", "/api/placements/", {"role": "dns-primary", "server": primary["id"]})
    return staff, customer_api(live_server, staff, "e2e")


def wait_zone_applied(customer: Api, zone_id: int, timeout: float = 90) -> int:
    """Wait until every server applied the zone; returns its serial. A secondary's run ends only once it has
    transferred that serial, so every server answers with it right then."""
    eventually(lambda: customer.ok("GET", f"/api/zones/{zone_id}/")["apply_state"], "applied", timeout)
    return int(customer.ok("GET", f"/api/zones/{zone_id}/")["serial"])


def serving(server: hosts.TestHost, zone: str, serial: int) -> None:
    served_now(lambda: [int(soa.split()[2]) for soa in dig(server, zone, "SOA")], [serial], f"{zone} SOA")


def test_zone_and_records_through_the_api_answer_on_primary_and_secondary(
    live_server: Any, start_worker: Callable[[], Worker], name_servers: tuple[hosts.TestHost, hosts.TestHost]
) -> None:
    start_worker()
    staff, customer = set_up(live_server, name_servers)
    primary, secondary = name_servers

    def applied(change_set: int) -> None:
        state = customer.wait_applied(change_set)["state"]
        assert state == "applied", staff.ok("GET", f"/api/changesets/{change_set}/")

    zone = customer.ok("POST", "/api/zones/", {"name": "e2e.example"})
    for record in [
        {"name": "www", "type": "A", "value": "192.0.2.80"},
        {"name": "mail", "type": "A", "value": "192.0.2.25"},  # the MX's in-zone target needs its address first
        {"name": "@", "type": "MX", "value": "10 mail"},
        {"name": "sel._domainkey", "type": "TXT", "value": LONG_TXT},
        {"name": "_sip._tcp", "type": "SRV", "value": "10 60 5060 mail"},
        {"name": "@", "type": "CAA", "value": '0 issue "letsencrypt.org"'},
        {"name": "v6", "type": "AAAA", "value": "2001:db8::80"},
    ]:
        customer.ok("POST", "/api/records/", {"zone": zone["id"], **record})
    applied(zone["change_set"])
    serial = wait_zone_applied(customer, zone["id"])

    for server in (primary, secondary):
        serving(server, "e2e.example.", serial)
        assert dig(server, "www.e2e.example.", "A") == ["192.0.2.80"]
        assert dig(server, "e2e.example.", "MX") == ["10 mail.e2e.example."]
        assert dig(server, "v6.e2e.example.", "AAAA") == ["2001:db8::80"]
        assert dig(server, "_sip._tcp.e2e.example.", "SRV") == ["10 60 5060 mail.e2e.example."]
        assert dig(server, "e2e.example.", "CAA") == ['0 issue "letsencrypt.org"']
        txt = dig(server, "sel._domainkey.e2e.example.", "TXT")[0]
        assert "".join(part.strip('"') for part in txt.split('" "')) == LONG_TXT

    (www,) = customer.ok("GET", f"/api/records/?zone={zone['id']}&name=www&type=A")["results"]
    changed = customer.ok("PATCH", f"/api/records/{www['id']}/", {"value": "192.0.2.81"})
    applied(changed["change_set"])
    serial = wait_zone_applied(customer, zone["id"])
    for server in (primary, secondary):
        serving(server, "e2e.example.", serial)
        assert dig(server, "www.e2e.example.", "A") == ["192.0.2.81"]

    deleted = customer.ok("DELETE", f"/api/records/{www['id']}/")
    applied(deleted["change_set"])
    serial = wait_zone_applied(customer, zone["id"])
    for server in (primary, secondary):
        serving(server, "e2e.example.", serial)
        assert dig(server, "www.e2e.example.", "A") == []
    eventually(lambda: customer.call("GET", f"/api/records/{www['id']}/")[0], 404)

    gone = customer.ok("DELETE", f"/api/zones/{zone['id']}/")
    applied(gone["change_set"])
    eventually(lambda: customer.call("GET", f"/api/zones/{zone['id']}/")[0], 404, timeout=60)
    for server in (primary, secondary):
        served_now(lambda s=server: dig(s, "e2e.example.", "SOA"), [], "a deleted zone's SOA")


def test_a_worker_killed_mid_run_does_not_leave_the_change_set_running(
    live_server: Any, start_worker: Callable[[], Worker], name_servers: tuple[hosts.TestHost, hosts.TestHost]
) -> None:
    first = start_worker()
    _, customer = set_up(live_server, name_servers)
    zone = customer.ok("POST", "/api/zones/", {"name": "killed.example"})
    deadline = time.monotonic() + 60
    while customer.ok("GET", f"/api/changesets/{zone['change_set']}/")["state"] != "running":
        assert time.monotonic() < deadline, "the worker never started the run"
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)  # the worker and its ansible-playbook, mid-run
    first.wait()
    assert customer.ok("GET", f"/api/changesets/{zone['change_set']}/")["state"] == "running"

    start_worker()
    final = customer.wait_applied(zone["change_set"], timeout=120)
    assert final["state"] == "applied" and final["attempts"] >= 2
    served_now(lambda: dig(name_servers[0], "killed.example.", "NS"), ["ns1.baton.invalid.", "ns2.baton.invalid."])
