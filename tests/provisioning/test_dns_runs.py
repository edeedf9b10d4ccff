"""The engine against a real name server (the test-host tool): runs, validation failures, plans, retries.
No Ansible is faked here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
from django.utils import timezone

from panel.accounts.models import Account, User
from panel.dns.models import Record, Zone
from panel.dns.services import record_create, zone_create
from panel.provisioning import engine
from panel.provisioning.choices import RunKind
from panel.provisioning.models import ChangeSet
from panel.provisioning.services import request
from panel.provisioning.tasks import reap_and_kick
from panel.servers.models import Server
from tests import hosts
from tests.provisioning.servers import registered

pytestmark = pytest.mark.django_db
NAME = "baton-pytest-dns-runs"


@pytest.fixture(scope="module")
def testhost() -> Iterator[hosts.TestHost]:
    try:
        yield hosts.start(NAME, ports=[53])
    finally:
        hosts.stop(NAME)


@pytest.fixture
def primary(testhost: hosts.TestHost, settings: object) -> Server:
    return registered(testhost, settings, "dns-primary")


def ask(host: hosts.TestHost, name: str, rdtype: str) -> tuple[int, list[str]]:
    response = dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=host.ports[53], timeout=3)
    answers = sorted(
        r.to_text() for rrset in response.answer for r in rrset if rrset.rdtype == dns.rdatatype.from_text(rdtype)
    )
    return response.rcode(), answers


def serial(host: hosts.TestHost, zone: str) -> int:
    return int(ask(host, zone, "SOA")[1][0].split()[2])


def converge(server: Server) -> None:
    assert engine.process(server.pk, "dns")


@pytest.fixture
def zone(primary: Server, account_a: Account, customer_a: User, testhost: hosts.TestHost) -> Zone:
    zone, _ = zone_create(account=account_a, name="runs.example", actor=customer_a)
    record_create(zone=zone, name="www", type="A", value="192.0.2.10", actor=customer_a)
    converge(primary)
    assert ask(testhost, "www.runs.example.", "A") == (dns.rcode.NOERROR, ["192.0.2.10"])
    return Zone.objects.get(pk=zone.pk)


def test_a_refused_zone_fails_alone_and_every_other_zone_converges(
    zone: Zone, primary: Server, customer_a: User, account_b: Account, customer_b: User, testhost: hosts.TestHost
) -> None:
    other, _ = zone_create(account=account_b, name="other.example", actor=customer_b)
    converge(primary)
    live_serial = serial(testhost, "runs.example.")
    # Refused by named-checkzone: an in-zone name server without an address. The panel refuses it too, so the
    # row goes past the service on purpose (what the panel cannot know reaches the server the same way).
    bad = Record.objects.create(zone=zone, name="@", type="NS", value="ns9")
    Zone.objects.filter(pk=zone.pk).update(serial=zone.serial + 1)
    request(server=primary, service="dns", objects=[(zone, zone.name), (bad, zone.name)], actor=None)
    good, change_set = record_create(zone=other, name="www", type="A", value="192.0.2.44", actor=customer_b)
    converge(primary)
    change_set.refresh_from_db()
    bad.refresh_from_db()
    assert change_set.state == "partial"
    assert bad.apply_state == "failed" and "has no address records" in bad.apply_error, bad.apply_error
    assert "other.example" not in bad.apply_error
    assert Record.objects.get(pk=good.pk).apply_state == "applied"
    assert ask(testhost, "www.other.example.", "A") == (dns.rcode.NOERROR, ["192.0.2.44"])  # went live
    assert serial(testhost, "runs.example.") == live_serial  # the refused zone keeps its live version
    assert ask(testhost, "www.runs.example.", "A") == (dns.rcode.NOERROR, ["192.0.2.10"])
    run = change_set.runs.get()
    assert run.status == "partial" and [entry["unit"] for entry in run.rejected] == ["runs.example"]
    # The fix converges it without staff: the bad record goes, the zone is valid again.
    bad.delete()
    _, fix_set = record_create(zone=zone, name="new", type="A", value="192.0.2.55", actor=customer_a)
    converge(primary)
    fix_set.refresh_from_db()
    assert fix_set.state == "applied"
    assert Zone.objects.get(pk=zone.pk).apply_state == "applied"
    assert ask(testhost, "new.runs.example.", "A") == (dns.rcode.NOERROR, ["192.0.2.55"])
    # A full converge of the server, by staff, ends applied too: nothing is left refused.
    converge_set = request(server=primary, service="dns", objects=(), actor=None)
    converge(primary)
    converge_set.refresh_from_db()
    assert converge_set.state == "applied"


def test_template_syntax_in_customer_data_reaches_the_server_as_text(
    zone: Zone, primary: Server, customer_a: User, testhost: hosts.TestHost
) -> None:
    # The validators refuse template syntax; this row goes past them on purpose (defence in depth: the renderer
    # marks it unsafe). Were it evaluated, the TXT record would hold the server's `id` output.
    value = "{{ lookup('pipe', 'id') }}"
    Record.objects.create(zone=zone, name="t", type="TXT", value=value)
    Zone.objects.filter(pk=zone.pk).update(serial=zone.serial + 1)
    request(server=primary, service="dns", objects=[(zone, zone.name)], actor=None)
    converge(primary)
    assert ask(testhost, "t.runs.example.", "TXT") == (dns.rcode.NOERROR, [f'"{value}"'])


def test_a_plan_changes_nothing_and_the_apply_after_it_really_applies(
    zone: Zone, primary: Server, customer_a: User, testhost: hosts.TestHost
) -> None:
    record_create(zone=zone, name="mail", type="A", value="192.0.2.25", actor=customer_a)
    plan = engine.check(primary, "dns", kind=RunKind.PLAN)
    assert plan.status == "successful" and plan.drift is True
    assert any("+mail" in event.diff for event in plan.events.all())
    assert ask(testhost, "mail.runs.example.", "A")[0] == dns.rcode.NXDOMAIN  # the plan changed nothing
    converge(primary)  # a --check plan must not leave runner settings that turn this into a dry run
    assert ask(testhost, "mail.runs.example.", "A") == (dns.rcode.NOERROR, ["192.0.2.25"])
    drift = engine.check(primary, "dns", kind=RunKind.DRIFT)
    assert drift.status == "successful" and drift.drift is False


def test_an_unreachable_server_is_retried_and_converges_when_it_returns(
    zone: Zone, primary: Server, customer_a: User, testhost: hosts.TestHost, settings: object
) -> None:
    settings.BATON_RUN_TIMEOUT = 60  # type: ignore[attr-defined]
    hosts.podman("stop", "-t", "1", hosts.container_name(NAME))
    try:
        record, change_set = record_create(zone=zone, name="late", type="A", value="192.0.2.77", actor=customer_a)
        converge(primary)
        change_set.refresh_from_db()
        assert change_set.state == "retrying" and change_set.attempts == 1
        assert change_set.next_attempt_at is not None and change_set.next_attempt_at > timezone.now()
    finally:
        hosts.podman("start", hosts.container_name(NAME))
        hosts._wait_for_ssh(testhost.ssh_port, 60)
    # Nobody acts: the worker's periodic kick runs the retry once it is due.
    ChangeSet.objects.filter(pk=change_set.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    reap_and_kick.call_local()
    change_set.refresh_from_db()
    assert change_set.state == "applied" and change_set.attempts == 2
    assert Record.objects.get(pk=record.pk).apply_state == "applied"
    assert ask(testhost, "late.runs.example.", "A") == (dns.rcode.NOERROR, ["192.0.2.77"])
