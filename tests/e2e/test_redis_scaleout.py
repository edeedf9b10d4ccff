"""Scale-out on Redis, as the README offers it: a real redis-server (Debian package, loopback, a port of its own),
two `manage.py run_huey` consumers as separate processes (two worker processes each) sharing it and the
PostgreSQL test database, and two real test servers (a DNS primary and a secondary) changed through the DNS
service functions. From the recorded runs and the consumers' own records:

- runs on one server never overlap, whichever consumer runs them (the per-server lease);
- runs on the two servers do overlap: they run in parallel;
- a periodic task runs once per slot although both consumers' schedulers ask for it (panel/core/periodic.py);
- a consumer killed with SIGKILL mid-run, with its workers and their ansible-playbook, loses nothing: the other
  consumer reaps the abandoned change set once its lease ran out and applies it, and the changes made meanwhile.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage

from panel.dns.models import Zone
from panel.dns.services import record_create, zone_create
from panel.provisioning.choices import ChangeSetState, RunKind
from panel.provisioning.models import ChangeSet, Run, ServerLease
from panel.servers.hostkeys import fingerprint
from panel.servers.models import Server
from panel.servers.services import placement_set, server_confirm_host_key, server_register
from tests import hosts
from tests.e2e.conftest import dig, served_now
from tests.factories import make_account
from tests.redis_server import redis_server

pytestmark = pytest.mark.e2e
LEASE_SECONDS = 6
ZONE = "scale.example"
PROBE = "tests.probe.tasks.probe"


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


@pytest.fixture
def two_servers() -> Iterator[tuple[hosts.TestHost, hosts.TestHost]]:
    names = ("redis-ns1", "redis-ns2")
    image = hosts.build()  # once, before the parallel starts (they would otherwise both check and build)
    hosts.ssh_key()
    try:
        with ThreadPoolExecutor(2) as pool:
            ns1, ns2 = pool.map(lambda name: hosts.start(name, ports=[53], image=image), names)
        yield ns1, ns2
    finally:
        for name in names:
            hosts.stop(name)


@dataclass
class Consumers:
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]
    probe: Path

    def log_text(self) -> str:
        return "".join(path.read_text(errors="replace") for path in self.logs)

    def holding(self, server: Server) -> subprocess.Popen[bytes]:
        """The consumer whose worker process holds the server's lease ("host:pid:thread:uuid")."""
        holder = ServerLease.objects.get(server=server).holder
        pid = int(holder.split(":")[1])
        for process in self.processes:
            if pid in process_tree(process.pid):
                return process
        raise AssertionError(f"no consumer runs the lease holder {holder!r}")


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it, by parent pid: ansible-runner starts ansible-playbook in a session of its
    own (a pty), so the consumer's process group does not cover it."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children[parent].append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo += children[tree[-1]]
    return tree


def kill_tree(pid: int) -> None:
    for member in process_tree(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)


@pytest.fixture
def consumers(e2e_database: None, redis_url: str, tmp_path: Path, settings: Any) -> Iterator[Consumers]:
    """Two `run_huey` processes on the Redis queue; this process enqueues into the same queue."""
    settings.BATON_LEASE_SECONDS = LEASE_SECONDS
    settings.BATON_SSH_KEY = str(hosts.ssh_key())
    database = connection.settings_dict
    probe = tmp_path / "probe.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.probe.settings",
        "BATON_HUEY_IMMEDIATE": "0",
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}",
        "BATON_SSH_KEY": settings.BATON_SSH_KEY,
        "BATON_DESIRED_STATE_DIR": settings.BATON_DESIRED_STATE_DIR,
        "BATON_RUN_DIR": settings.BATON_RUN_DIR,
        "BATON_LEASE_SECONDS": str(LEASE_SECONDS),
        "BATON_RETRY_BASE_SECONDS": "2",
        "BATON_PERIODIC_PROBE": str(probe),
    }
    started = Consumers(processes=[], logs=[tmp_path / f"consumer-{i}.log" for i in range(2)], probe=probe)
    HUEY.immediate = False
    file_storage = HUEY.storage
    try:
        HUEY.storage = RedisStorage(HUEY.name, url=redis_url)
        for path in started.logs:
            with open(path, "wb") as log:
                started.processes.append(
                    subprocess.Popen(
                        [sys.executable, "manage.py", "run_huey", "--workers", "2"],
                        cwd=settings.BASE_DIR,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        yield started
    finally:
        # Whatever a failed test left running goes too, ansible-playbook (a session of its own) included.
        trees = [process_tree(process.pid) for process in started.processes if process.poll() is None]
        for tree in trees:
            os.killpg(tree[0], signal.SIGTERM)
        for process in started.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for pid in (pid for tree in trees for pid in tree[1:]):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        HUEY.storage = file_storage
        HUEY.immediate = True


def wait_for(check: Callable[[], Any], what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while (value := check()) is None or value is False:
        assert time.monotonic() < deadline, f"{what}: not after {timeout:.0f} s"
        time.sleep(0.1)
    return value


def settled() -> bool:
    """Every change set has come to rest; none failed (a failure here is a bug, shown with its error)."""
    failed = list(ChangeSet.objects.filter(state=ChangeSetState.FAILED).values_list("pk", "server__name", "error"))
    assert not failed, failed
    open_states = [ChangeSetState.PENDING, ChangeSetState.RUNNING, ChangeSetState.RETRYING]
    return not ChangeSet.objects.filter(state__in=open_states).exists()


Interval = tuple[datetime, datetime, str]


def intervals(ends_of_killed: datetime | None = None) -> dict[str, list[Interval]]:
    """Apply runs per server as (start, end, ident). The run killed mid-run never finished: it ends at the kill."""
    per_server: dict[str, list[Interval]] = defaultdict(list)
    for run in Run.objects.filter(kind=RunKind.APPLY).select_related("server").order_by("started_at"):
        end = run.finished_at or ends_of_killed
        assert end is not None, f"run {run.ident} on {run.server.name} never finished"
        per_server[run.server.name].append((run.started_at, end, run.ident))
    return per_server


def assert_one_at_a_time_per_server(per_server: dict[str, list[Interval]]) -> None:
    for name, runs in per_server.items():
        for before, after in itertools.pairwise(runs):
            assert before[1] <= after[0], (
                f"runs on {name} overlap: {before[2]} until {before[1]}, {after[2]} from {after[0]}"
            )


def assert_servers_ran_in_parallel(per_server: dict[str, list[Interval]], a: str, b: str) -> None:
    together = [(x[2], y[2]) for x in per_server[a] for y in per_server[b] if max(x[0], y[0]) < min(x[1], y[1])]
    assert together, f"no run on {a} overlapped a run on {b}: {dict(per_server)}"


def contended(name: str, per_server: dict[str, list[Interval]]) -> bool:
    """Whether a change set of the server was opened while a run on it went on: its task then found the server
    busy (with a broken lease it would have run beside that run)."""
    opened = ChangeSet.objects.filter(server__name=name).values_list("created_at", flat=True)
    return any(start < created < end for created in opened for start, end, _ in per_server[name])


def register(host: hosts.TestHost, roles: list[str]) -> Server:
    server = server_register(
        name=host.name,
        address="127.0.0.1",
        ssh_port=host.ssh_port,
        roles=roles,
        service_address=host.address,
        host_key=host.host_key,
        actor=None,
    )
    return server_confirm_host_key(server=server, fingerprint=fingerprint(host.host_key), actor=None)


def contested_slots(consumers: Consumers) -> list[str]:
    """Slots of the probe that a consumer skipped because the other one had claimed them."""
    return re.findall(rf"periodic task {re.escape(PROBE)} of (\S+): enqueued by another consumer", consumers.log_text())


def probe_runs(consumers: Consumers) -> list[str]:
    """The probe's lines: "<task id> <worker pid>"; the id names the slot."""
    return consumers.probe.read_text().split("\n")[:-1] if consumers.probe.exists() else []


def probe_slots(consumers: Consumers) -> list[str]:
    return [line.split()[0] for line in probe_runs(consumers)]


def twice(slots: list[str]) -> list[str]:
    return sorted({slot for slot in slots if slots.count(slot) > 1})


def unclaimed(slots: list[str]) -> list[str]:
    """Runs whose id names no slot: enqueued by a scheduler that claims nothing (plain huey.RedisHuey)."""
    return [slot for slot in slots if not slot.startswith(f"{PROBE}@")]


def phase(what: str) -> None:
    """Shown with the output of a failed run, in the clock of the consumers' logs: where the time went."""
    print(f"{datetime.now():%H:%M:%S.%f}"[:-3], what, flush=True)


def kill_mid_run(
    consumers: Consumers, zone: Zone, primary: Server, names: list[str]
) -> tuple[ChangeSet, subprocess.Popen[bytes]]:
    """Change a record and kill the consumer whose worker runs it on the primary as soon as the run is under way.
    A targeted run takes a second or more; should the poll still miss it, the next change is tried."""
    for attempt in range(3):
        name = f"killed{attempt}"
        _, change_set = record_create(zone=zone, name=name, type="A", value=f"192.0.2.{66 + attempt}", actor=None)
        names.append(name)
        run = wait_for(lambda cs=change_set: Run.objects.filter(change_set=cs).first(), "the run to be killed", 60)
        if run.finished_at is None and ServerLease.objects.filter(server=primary).exclude(holder="").exists():
            victim = consumers.holding(primary)
            kill_tree(victim.pid)
            victim.wait()
            change_set.refresh_from_db()
            assert change_set.state == ChangeSetState.RUNNING, "the kill came too late: the run had finished"
            return change_set, victim
        wait_for(settled, "a change that finished before the kill", 60)
    raise AssertionError("three runs finished before they could be killed")


def test_two_consumers_on_redis(
    consumers: Consumers, two_servers: tuple[hosts.TestHost, hosts.TestHost], settings: Any
) -> None:
    phase("redis, two consumers and two test servers started")
    ns1, ns2 = two_servers
    primary = register(ns1, ["dns-primary"])
    register(ns2, ["dns-secondary"])
    placement_set(role="dns-primary", server=primary, actor=None)
    account = make_account("scale")

    # Every change goes to both servers: one change set on each, run by whichever workers take them.
    zone, _ = zone_create(account=account, name=ZONE, actor=None)
    wait_for(settled, "the zone's first runs", 120)
    phase("first runs applied")
    names = []
    for i in range(4):  # a burst: the next change comes while the previous one runs
        record_create(zone=zone, name=f"burst{i}", type="A", value=f"192.0.2.{i + 1}", actor=None)
        names.append(f"burst{i}")
        time.sleep(0.6)
    wait_for(settled, "the burst", 90)
    phase("burst applied")
    before_kill = intervals()
    assert_one_at_a_time_per_server(before_kill)
    assert_servers_ran_in_parallel(before_kill, ns1.name, ns2.name)
    # A burst that never found the server busy would prove nothing about the lease.
    assert contended(ns1.name, before_kill), f"no change set of {ns1.name} came while it ran: {dict(before_kill)}"

    # Both schedulers asked for the probe in the same minute at least once (at their start, normally), and it ran
    # once in that minute.
    wait_for(
        lambda: contested_slots(consumers) or twice(probe_slots(consumers)) or unclaimed(probe_slots(consumers)),
        "a periodic slot both consumers asked for",
        70,
    )
    assert not unclaimed(probe_slots(consumers)), f"periodic runs of no claimed slot: {probe_runs(consumers)}"
    assert not twice(probe_slots(consumers)), f"a periodic slot ran more than once: {probe_runs(consumers)}"
    phase("a contested periodic slot seen")

    # Kill -9 the consumer running a change on the primary, with its workers and their ansible-playbook.
    killed_set, victim = kill_mid_run(consumers, zone, primary, names)
    killed_at = timezone.now()
    phase(f"consumer {victim.pid} killed mid-run")
    # A change made while the killed worker's lease still holds the server.
    record_create(zone=zone, name="after", type="A", value="192.0.2.77", actor=None)
    names.append("after")
    wait_for(settled, "recovery by the surviving consumer", LEASE_SECONDS + 60 + 30)
    phase("recovered")

    killed_set.refresh_from_db()
    assert killed_set.state == ChangeSetState.APPLIED and killed_set.attempts >= 2, killed_set.__dict__
    serial = Zone.objects.get(pk=zone.pk).serial
    for host in (ns1, ns2):
        served_now(lambda h=host: [int(soa.split()[2]) for soa in dig(h, f"{ZONE}.", "SOA")], [serial])
        for name in names:
            assert dig(host, f"{name}.{ZONE}.", "A"), f"{name}.{ZONE} not served by {host.name}"

    per_server = intervals(ends_of_killed=killed_at)
    assert_one_at_a_time_per_server(per_server)
    # The victim's other worker may have been running the secondary's change: every run it left unfinished was
    # under way at the kill, and its change set was run again and applied.
    unfinished = list(Run.objects.filter(kind=RunKind.APPLY, finished_at__isnull=True).select_related("change_set"))
    assert killed_set.pk in [run.change_set_id for run in unfinished]
    for run in unfinished:
        assert run.started_at < killed_at, f"run {run.ident} started after the kill and never finished"
        assert run.change_set.state == ChangeSetState.APPLIED and run.change_set.attempts >= 2, run.change_set.__dict__

    runs, slots = probe_runs(consumers), probe_slots(consumers)
    assert slots, "the probe never ran"
    assert not unclaimed(slots), f"periodic runs of no claimed slot: {runs}"
    assert not twice(slots), f"a periodic slot ran more than once: {runs}"
    skipped = {f"{PROBE}@{slot}" for slot in contested_slots(consumers)}
    assert skipped <= set(slots), f"a slot skipped by one consumer never ran on the other: {skipped}, {runs}"
