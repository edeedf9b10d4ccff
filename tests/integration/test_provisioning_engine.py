"""The engine's bookkeeping with Ansible faked at the runner boundary: states, retries, coalescing, locks,
mail to staff. The same paths against real servers are in tests/provisioning and tests/e2e."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from panel.accounts.models import Account, User
from panel.dns.models import Record, Zone
from panel.dns.services import record_create, zone_create, zone_delete
from panel.provisioning import engine, locks, selectors, services, tasks
from panel.provisioning.choices import RunStatus
from panel.provisioning.models import ChangeSet, ChangeSetItem, ServerLease
from panel.provisioning.runner import RunRequest, RunResult
from panel.provisioning.services import change_set_retry
from panel.servers.models import Server
from tests.integration.fakes import Runs, fake_runner

pytestmark = pytest.mark.django_db


@pytest.fixture
def zone(account_a: Account, customer_a: User, dns_servers: tuple[Server, Server]) -> Zone:
    zone, _ = zone_create(account=account_a, name="shop.example", actor=customer_a)
    return zone


def process_all(servers: tuple[Server, Server]) -> None:
    for server in servers:
        assert engine.process(server.pk, "dns")


def test_success_applies_every_object_once_all_servers_are_done(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, dns_servers: tuple[Server, Server]
) -> None:
    runs = fake_runner(monkeypatch)
    engine.process(dns_servers[0].pk, "dns")
    assert Zone.objects.get(pk=zone.pk).apply_state == "pending"  # the secondary has not run yet
    engine.process(dns_servers[1].pk, "dns")
    assert Zone.objects.get(pk=zone.pk).apply_state == "applied"
    assert set(Record.objects.values_list("apply_state", flat=True)) == {"applied"}
    assert [r.target.name for r in runs] == ["ns1", "ns2"]
    assert '"name": {"__ansible_unsafe": "shop.example"}' in runs[0].host_vars


def test_the_first_run_on_a_server_is_full_and_later_ones_are_targeted(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    runs = fake_runner(monkeypatch)
    process_all(dns_servers)
    assert [(r.tags, r.skip_tags, r.extravars) for r in runs] == [(("bind9",), ("always",), {})] * 2
    record_create(zone=zone, name="www", type="A", value="192.0.2.7", actor=customer_a)
    process_all(dns_servers)
    targeted = (("bind9:zones",), ("always",), {"bind9__host_only_zones": ["shop.example"]})
    assert [(r.tags, r.skip_tags, r.extravars) for r in runs[2:]] == [targeted] * 2


def test_a_failed_first_run_keeps_the_next_one_full(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    runs = fake_runner(monkeypatch, status=RunStatus.UNREACHABLE, error="host down")
    engine.process(dns_servers[0].pk, "dns")
    runs = fake_runner(monkeypatch)  # the failed change set waits for its retry; the new change comes first
    record_create(zone=zone, name="www", type="A", value="192.0.2.7", actor=customer_a)
    engine.process(dns_servers[0].pk, "dns")
    assert len(runs) == 1 and runs[0].tags == ("bind9",) and runs[0].extravars == {}


def test_a_converge_without_objects_is_a_full_run(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, dns_servers: tuple[Server, Server]
) -> None:
    from panel.provisioning.services import request

    runs = fake_runner(monkeypatch)
    process_all(dns_servers)
    request(server=dns_servers[0], service="dns", objects=(), actor=None)
    engine.process(dns_servers[0].pk, "dns")
    assert runs[-1].tags == ("bind9",) and runs[-1].extravars == {}


def test_validation_failure_marks_objects_failed_with_the_validator_output_and_mails_staff(
    monkeypatch: pytest.MonkeyPatch,
    zone: Zone,
    staff: User,
    dns_servers: tuple[Server, Server],
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    staff.email = "ops@provider.org"
    staff.save()
    ChangeSetItem.objects.filter(object_id=str(zone.pk)).update(object_repr="<script>alert(1)</script>")
    fake_runner(monkeypatch, status=RunStatus.FAILED, error="zone shop.example/IN: www: CNAME and other data")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        engine.process(dns_servers[0].pk, "dns")
    change_set = ChangeSet.objects.get(server=dns_servers[0])
    assert change_set.state == "failed"
    zone.refresh_from_db()
    assert zone.apply_state == "failed"
    # A run failing as a whole may fail on any account's object: the objects say so without quoting it.
    assert "CNAME and other data" not in zone.apply_error and "did not reach" in zone.apply_error
    assert "CNAME and other data" in change_set.error
    assert len(mail.outbox) == 1
    html = mail.outbox[0].alternatives[0][0]
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "CNAME and other data" in html


def test_unreachable_retries_with_backoff_then_fails(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, dns_servers: tuple[Server, Server], settings: object
) -> None:
    settings.BATON_RETRY_LIMIT = 3  # type: ignore[attr-defined]
    settings.BATON_RETRY_BASE_SECONDS = 10  # type: ignore[attr-defined]
    fake_runner(monkeypatch, status=RunStatus.UNREACHABLE, error="ssh: connect to host refused")
    primary = dns_servers[0]
    engine.process(primary.pk, "dns")
    change_set = ChangeSet.objects.get(server=primary)
    assert (change_set.state, change_set.attempts) == ("retrying", 1)
    first_wait = change_set.next_attempt_at - timezone.now()  # type: ignore[operator]
    assert timedelta(seconds=8) < first_wait <= timedelta(seconds=10)
    engine.process(primary.pk, "dns")  # not due yet: nothing happens
    assert ChangeSet.objects.get(pk=change_set.pk).attempts == 1
    for expected_wait in (20, 0):
        ChangeSet.objects.filter(pk=change_set.pk).update(next_attempt_at=timezone.now())
        engine.process(primary.pk, "dns")
        change_set.refresh_from_db()
        if expected_wait:
            wait = change_set.next_attempt_at - timezone.now()  # type: ignore[operator]
            assert timedelta(seconds=expected_wait - 2) < wait <= timedelta(seconds=expected_wait)
    assert (change_set.state, change_set.attempts) == ("failed", 3)
    assert Zone.objects.get(pk=zone.pk).apply_state == "failed"


def test_a_retry_after_failure_renders_afresh(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    fake_runner(monkeypatch, status=RunStatus.FAILED, error="boom")
    engine.process(dns_servers[0].pk, "dns")
    failed = ChangeSet.objects.get(server=dns_servers[0])
    zone_delete(zone=zone, actor=customer_a)  # deleted since: the retry must render it absent
    runs = fake_runner(monkeypatch)
    retried = change_set_retry(change_set=failed, actor=customer_a)
    assert retried.pk != failed.pk and retried.items.count() >= failed.items.count()
    process_all(dns_servers)
    assert '"state": "absent"' in runs[0].host_vars
    assert not Zone.objects.filter(pk=zone.pk).exists()  # gone once every server dropped it


def test_only_one_run_per_server_at_a_time(zone: Zone, dns_servers: tuple[Server, Server]) -> None:
    primary = dns_servers[0]
    assert locks.acquire(primary.pk, "worker-1")
    assert not locks.acquire(primary.pk, "worker-2")
    assert not engine.process(primary.pk, "dns")  # busy: the change set stays pending for the holder
    assert ChangeSet.objects.get(server=primary).state == "pending"
    assert locks.acquire(dns_servers[1].pk, "worker-2")  # other servers are independent
    ServerLease.objects.filter(server=primary).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert locks.acquire(primary.pk, "worker-2")  # a dead holder's lease runs out


def test_abandoned_running_change_sets_are_picked_up_again(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, dns_servers: tuple[Server, Server]
) -> None:
    primary = dns_servers[0]
    change_set = ChangeSet.objects.get(server=primary)
    engine.set_state(change_set, "running", lease_expires_at=timezone.now() - timedelta(seconds=5))
    assert engine.reap_abandoned() == [change_set.pk]
    fake_runner(monkeypatch)
    engine.process(primary.pk, "dns")
    assert ChangeSet.objects.get(pk=change_set.pk).state == "applied"


def test_transitions_outside_the_table_are_refused(zone: Zone, dns_servers: tuple[Server, Server]) -> None:
    change_set = ChangeSet.objects.get(server=dns_servers[0])
    with pytest.raises(engine.InvalidTransition):
        engine.set_state(change_set, "applied")
    assert ChangeSet.objects.get(pk=change_set.pk).state == "pending"


def test_changes_during_a_run_get_their_own_change_set(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    primary = dns_servers[0]
    seen: Runs = []
    late: list[int] = []

    def execute(request: RunRequest, *, heartbeat: Callable[[], None] | None = None) -> RunResult:
        seen.append(request)
        if len(seen) == 1:  # a customer adds a record while the first run is going on
            late.append(record_create(zone=zone, name="late", type="A", value="192.0.2.99", actor=customer_a)[1].pk)
        return RunResult(status=RunStatus.SUCCESSFUL, rc=0, stats={}, events=[], error="", duration=0.1)

    monkeypatch.setattr(engine, "execute", execute)
    engine.process(primary.pk, "dns")
    assert len(seen) == 2, "the same worker ran the late change set after the first one"
    assert "late" in seen[1].host_vars and "late" not in seen[0].host_vars
    assert ChangeSet.objects.get(pk=late[0]).state == "applied"


def test_no_run_on_a_server_whose_host_key_is_unconfirmed(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, dns_servers: tuple[Server, Server]
) -> None:
    runs = fake_runner(monkeypatch)
    Server.objects.filter(pk=dns_servers[0].pk).update(host_key_confirmed_at=None)
    engine.process(dns_servers[0].pk, "dns")
    change_set = ChangeSet.objects.get(server=dns_servers[0])
    assert runs == []
    assert change_set.state == "failed" and "not confirmed" in change_set.error


def test_a_converge_joining_a_targeted_change_set_makes_it_a_full_run(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, dns_servers: tuple[Server, Server]
) -> None:
    from panel.provisioning.services import request

    runs = fake_runner(monkeypatch)
    process_all(dns_servers)  # the first, full run
    record_create(zone=zone, name="www", type="A", value="192.0.2.7", actor=None)
    request(server=dns_servers[0], service="dns", objects=(), actor=None)  # joins the record's pending change set
    engine.process(dns_servers[0].pk, "dns")
    assert len(runs) == 3 and runs[2].tags == ("bind9",) and runs[2].extravars == {}


def test_a_stale_git_lock_from_a_dead_worker_does_not_block_the_history(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, dns_servers: tuple[Server, Server], settings: object
) -> None:
    from pathlib import Path

    fake_runner(monkeypatch)
    engine.process(dns_servers[0].pk, "dns")
    repo = Path(settings.BATON_DESIRED_STATE_DIR)  # type: ignore[attr-defined]
    (repo / ".git" / "index.lock").write_text("")  # what a worker killed inside `git commit` leaves behind
    record_create(zone=zone, name="after", type="A", value="192.0.2.5", actor=None)
    engine.process(dns_servers[0].pk, "dns")
    history = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s", "--", "host_vars/ns1/dns.json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert len(history) == 2, history
    assert ChangeSet.objects.filter(server=dns_servers[0], state="applied").count() == 2


def test_an_unexpected_error_after_the_claim_fails_the_change_set_instead_of_leaving_it_running(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, dns_servers: tuple[Server, Server]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(engine, "_targeting", broken)
    engine.process(dns_servers[0].pk, "dns")
    change_set = ChangeSet.objects.get(server=dns_servers[0])
    assert change_set.state == "failed" and "database went away" in change_set.error
    assert Zone.objects.get(pk=zone.pk).apply_state == "failed"


def test_a_lone_change_runs_at_once_and_a_burst_waits_for_the_rest_of_it(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    fake_runner(monkeypatch)
    process_all(dns_servers)
    slept: list[float] = []
    monkeypatch.setattr(tasks.time, "sleep", slept.append)
    primary = dns_servers[0]

    record_create(zone=zone, name="lone", type="A", value="192.0.2.7", actor=customer_a)
    ChangeSet.objects.filter(server=primary).exclude(state="pending").update(
        created_at=timezone.now() - timedelta(seconds=30)
    )
    tasks.process_task.call_local(primary.pk, "dns", 0.3)
    assert slept == []  # the previous change set is 30 s old: nothing to wait for
    assert not ChangeSet.objects.filter(server=primary, state="pending").exists()

    record_create(zone=zone, name="burst", type="A", value="192.0.2.8", actor=customer_a)
    # It follows the lone change by less than the window (pinned: on a loaded machine the run between the two
    # changes could take longer than the window itself).
    pending = ChangeSet.objects.get(server=primary, state="pending")
    ChangeSet.objects.filter(server=primary).exclude(pk=pending.pk).update(
        created_at=pending.created_at - timedelta(seconds=0.1)
    )
    tasks.process_task.call_local(primary.pk, "dns", 0.3)
    assert slept == [0.3]
    assert not ChangeSet.objects.filter(server=primary, state="pending").exists()


def test_burst_detection_needs_a_pending_change_set(dns_servers: tuple[Server, Server]) -> None:
    assert not selectors.burst_in_progress(server_id=dns_servers[0].pk, service="dns", window=0.3)


def test_the_holder_of_a_server_also_runs_what_other_services_requested_meanwhile(
    monkeypatch: pytest.MonkeyPatch, zone: Zone, dns_servers: tuple[Server, Server]
) -> None:
    primary = dns_servers[0]
    Server.objects.filter(pk=primary.pk).update(roles=["dns-primary", "mail"])
    seen: Runs = []

    def execute(request: RunRequest, *, heartbeat: Callable[[], None] | None = None) -> RunResult:
        seen.append(request)
        if len(seen) == 1:  # a mail change comes in while DNS runs: its own worker finds the server busy
            services.request(server=primary, service="mail", actor=None)
            assert not engine.process(primary.pk, "mail")
        return RunResult(status=RunStatus.SUCCESSFUL, rc=0, stats={}, events=[], error="", duration=0.1)

    monkeypatch.setattr(engine, "execute", execute)
    assert engine.process(primary.pk, "dns")
    assert [request.service for request in seen] == ["dns", "mail"], "run at once, not after a retry"
    assert set(ChangeSet.objects.filter(server=primary).values_list("state", flat=True)) == {"applied"}


def test_a_burst_of_another_service_is_left_to_its_own_task(
    monkeypatch: pytest.MonkeyPatch, settings: Any, zone: Zone, dns_servers: tuple[Server, Server]
) -> None:
    primary = dns_servers[0]
    Server.objects.filter(pk=primary.pk).update(roles=["dns-primary", "mail"])
    settings.BATON_PROVISIONING_DEBOUNCE = 5
    runs = fake_runner(monkeypatch)
    first = services.request(server=primary, service="mail", actor=None)
    engine.set_state(first, "running")
    engine.set_state(first, "applied")
    services.request(server=primary, service="mail", actor=None)  # right after the previous one: a burst
    assert engine.process(primary.pk, "dns")
    assert [request.service for request in runs] == ["dns"]
