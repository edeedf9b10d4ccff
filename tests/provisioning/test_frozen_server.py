"""A server that freezes (`podman pause`) is given up within 30 s and its change set waits for a retry, whether
the controller still held a warm multiplexed SSH connection to it or not; thawed, the retry converges it.
No Ansible is faked here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from panel.accounts.models import Account, User
from panel.dns.services import record_create, zone_create
from panel.provisioning import engine
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server
from tests import hosts
from tests.provisioning.servers import registered

pytestmark = pytest.mark.django_db
NAME = "baton-pytest-frozen"


@pytest.fixture(scope="module")
def testhost() -> Iterator[hosts.TestHost]:
    try:
        yield hosts.start(NAME)
    finally:
        hosts.podman("unpause", hosts.container_name(NAME), check=False)
        hosts.stop(NAME)


@pytest.fixture
def primary(testhost: hosts.TestHost, settings: object) -> Server:
    return registered(testhost, settings, "dns-primary")


def forget_warm_connections() -> None:
    """The persisted SSH masters live in ansible.cfg's control_path_dir; without their sockets the next
    connection is a cold one (the masters themselves time out on their own)."""
    for socket in (Path.home() / ".ansible" / "baton-cp").glob("*"):
        socket.unlink(missing_ok=True)


@pytest.mark.parametrize("connection", ["warm", "cold"])
def test_a_frozen_server_is_given_up_within_30_s_and_retried(
    primary: Server, testhost: hosts.TestHost, account_a: Account, customer_a: User, connection: str
) -> None:
    zone, _ = zone_create(account=account_a, name=f"{connection}.example", actor=customer_a)
    assert engine.process(primary.pk, "dns")  # a run right before: its connection persists for 120 s
    assert ChangeSet.objects.get(server=primary).state == "applied"
    if connection == "cold":
        forget_warm_connections()
    _, change_set = record_create(zone=zone, name="www", type="A", value="192.0.2.9", actor=customer_a)
    hosts.podman("pause", testhost.name)
    try:
        started = time.monotonic()
        engine.process(primary.pk, "dns")
        elapsed = time.monotonic() - started
    finally:
        hosts.podman("unpause", testhost.name)
    change_set.refresh_from_db()
    assert change_set.state == "retrying", (change_set.state, change_set.error)
    assert elapsed < 30, f"{connection}: the frozen server held the run for {elapsed:.1f} s"
    assert change_set.error, "a retrying change set says why"
    ChangeSet.objects.filter(pk=change_set.pk).update(next_attempt_at=timezone.now())
    engine.process(primary.pk, "dns")
    change_set.refresh_from_db()
    assert change_set.state == "applied", change_set.error
