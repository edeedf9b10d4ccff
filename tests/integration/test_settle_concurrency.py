"""Two servers finishing the same object's change sets at the same moment, on PostgreSQL (SQLite serialises
every writer): each transaction sees the other's change set still open, yet the object must end up deleted
(or applied) once both are committed."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from django.db import connection, connections
from django.utils import timezone

from panel.accounts.models import Account, User
from panel.dns.models import Zone
from panel.dns.services import zone_create, zone_delete
from panel.provisioning import engine, registry
from panel.provisioning.choices import ChangeSetState, RunStatus
from panel.provisioning.models import ChangeSet, ChangeSetItem, Run
from panel.provisioning.runner import RunResult
from panel.servers.models import Server


@pytest.mark.django_db(transaction=True)
def test_a_zone_deleted_on_two_servers_that_finish_together_is_deleted(
    monkeypatch: pytest.MonkeyPatch, account_a: Account, customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL: run through ./scripts/test")
    monkeypatch.setattr("panel.provisioning.tasks.schedule_processing", lambda *args, **kwargs: None)  # no worker
    zone, _ = zone_create(account=account_a, name="race.example", actor=customer_a)
    ChangeSet.objects.update(state=ChangeSetState.APPLIED)  # created and applied earlier
    Zone.objects.filter(pk=zone.pk).update(apply_state="applied", applied_at=timezone.now())
    zone_delete(zone=Zone.objects.get(pk=zone.pk), actor=customer_a)
    change_sets = list(ChangeSet.objects.filter(state=ChangeSetState.PENDING).order_by("pk"))
    assert len(change_sets) == 2
    ChangeSet.objects.filter(pk__in=[c.pk for c in change_sets]).update(state=ChangeSetState.RUNNING)

    spec = registry.get("dns")
    both_marked = threading.Barrier(2)
    first_settle = threading.local()
    original = spec.settle

    def settle_when_both_marked(items: Sequence[ChangeSetItem]) -> None:
        if not getattr(first_settle, "done", False):  # inside _settle's transaction, after marking it applied
            first_settle.done = True
            both_marked.wait(timeout=30)
        original(items)

    monkeypatch.setattr(
        registry, "get", lambda name: spec.__class__(**{**spec.__dict__, "settle": settle_when_both_marked})
    )
    errors: list[BaseException] = []

    def finish(change_set: ChangeSet) -> None:
        try:
            run = Run.objects.create(server=change_set.server, service="dns", ident=f"race-{change_set.pk}")
            result = RunResult(status=RunStatus.SUCCESSFUL, rc=0, stats={}, events=[], error="", duration=0.1)
            engine._settle(ChangeSet.objects.get(pk=change_set.pk), run, result)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=finish, args=(c,)) for c in change_sets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert set(ChangeSet.objects.values_list("state", flat=True)) == {ChangeSetState.APPLIED}
    assert not Zone.objects.filter(pk=zone.pk).exists(), "both servers dropped the zone, but its row is still there"
