"""A plan or drift check that finds the server busy with another run does not wait for it and is not an error:
it is recorded as a skipped run (Ansible faked: a skipped check never reaches the runner)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from panel.accounts.models import Account, User
from panel.dns.services import zone_create
from panel.provisioning import engine, locks
from panel.provisioning.choices import RunKind, RunStatus
from panel.provisioning.models import ChangeSet, Run
from panel.servers.models import Server
from tests.integration.fakes import fake_runner

pytestmark = pytest.mark.django_db


def test_a_check_of_a_busy_server_is_recorded_as_skipped(
    monkeypatch: pytest.MonkeyPatch,
    dns_servers: tuple[Server, Server],
    account_a: Account,
    customer_a: User,
    staff_client: APIClient,
) -> None:
    runs = fake_runner(monkeypatch)
    zone_create(account=account_a, name="busy.example", actor=customer_a)
    primary = dns_servers[0]
    assert locks.acquire(primary.pk, "another-worker")  # a run in progress on the primary

    drift = engine.check(primary, "dns", kind=RunKind.DRIFT)
    assert drift.status == RunStatus.SKIPPED and "another change" in drift.error and runs == []

    out = StringIO()
    call_command("drift", primary.name, "dns", stdout=out)  # no SystemExit: skipped is not drift
    assert "skipped, busy" in out.getvalue()

    change_set = ChangeSet.objects.filter(server=primary).first()
    assert change_set is not None
    response = staff_client.post(f"/api/changesets/{change_set.pk}/plan/")
    assert response.status_code == 409 and response.data["code"] == "server_busy", response.data
    assert Run.objects.filter(server=primary, status=RunStatus.SKIPPED).count() == 3

    locks.release(primary.pk, "another-worker")
    checked = engine.check(primary, "dns", kind=RunKind.DRIFT)
    assert checked.status == RunStatus.SUCCESSFUL and len(runs) == 1
    assert runs[0].check and runs[0].tags == ("bind9:files",)  # every managed file, no package or service task
