"""manage.py converge / plan / drift and the staff admin pages, with Ansible faked at the runner boundary."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from panel.accounts.models import Account, User
from panel.dns.models import Zone
from panel.dns.services import zone_create
from panel.provisioning import engine
from panel.provisioning.choices import EventStatus, RunStatus
from panel.provisioning.models import ChangeSet, Run
from panel.provisioning.runner import EventRecord, RunRequest, RunResult
from panel.servers.models import Server

pytestmark = pytest.mark.django_db


def fake(monkeypatch: pytest.MonkeyPatch, *, changed: bool) -> list[RunRequest]:
    seen: list[RunRequest] = []

    def execute(request: RunRequest, *, heartbeat: Callable[[], None] | None = None) -> RunResult:
        seen.append(request)
        status = EventStatus.CHANGED if changed else EventStatus.OK
        event = EventRecord(
            0,
            "Render the zone files",
            request.target.name,
            "shop.example",
            status,
            "",
            "",
            "",
            "--- a/zone\n+++ b/zone\n+www A 192.0.2.1\n" if changed else "",
            0.1,
            changed,
        )
        return RunResult(RunStatus.SUCCESSFUL, 0, {}, [event], "", 0.1)

    monkeypatch.setattr(engine, "execute", execute)
    return seen


@pytest.fixture
def zone(account_a: Account, customer_a: User, dns_servers: tuple[Server, Server]) -> Zone:
    return zone_create(account=account_a, name="shop.example", actor=customer_a)[0]


def test_converge_runs_every_service_of_the_server_in_full(monkeypatch: pytest.MonkeyPatch, zone: Zone) -> None:
    runs = fake(monkeypatch, changed=True)
    out = StringIO()
    call_command("converge", "ns1", stdout=out)
    assert "applied" in out.getvalue()
    assert [r.tags for r in runs] == [("bind9",)]
    with pytest.raises(CommandError):
        call_command("converge", "no-such-server")


def test_plan_prints_diffs_and_changes_no_change_set(monkeypatch: pytest.MonkeyPatch, zone: Zone) -> None:
    runs = fake(monkeypatch, changed=True)
    out = StringIO()
    call_command("plan", "ns1", "dns", stdout=out)
    assert "+www A 192.0.2.1" in out.getvalue() and "1 change(s)" in out.getvalue()
    assert runs[0].check is True
    assert ChangeSet.objects.get(server__name="ns1").state == "pending"
    assert Run.objects.get(kind="plan").drift is True


def test_drift_exits_non_zero_only_when_a_server_differs(monkeypatch: pytest.MonkeyPatch, zone: Zone) -> None:
    fake(monkeypatch, changed=False)
    out = StringIO()
    call_command("drift", "ns1", stdout=out)
    assert "in sync" in out.getvalue()
    fake(monkeypatch, changed=True)
    with pytest.raises(SystemExit) as excinfo:
        call_command("drift", "ns1", stdout=StringIO())
    assert excinfo.value.code == 1


def test_staff_admin_pages_for_provisioning(monkeypatch: pytest.MonkeyPatch, zone: Zone, staff: User) -> None:
    fake(monkeypatch, changed=True)
    call_command("converge", "ns1", stdout=StringIO())
    staff.is_superuser = True
    staff.save()
    client = Client()
    client.force_login(staff)
    run = Run.objects.get()
    for url in [
        "/admin/provisioning/changeset/",
        f"/admin/provisioning/changeset/{run.change_set_id}/change/",
        "/admin/provisioning/run/",
        f"/admin/provisioning/run/{run.pk}/change/",
        "/admin/dns/zone/",
        f"/admin/dns/zone/{zone.pk}/change/",
        "/admin/servers/server/",
        "/admin/dns/record/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert "+www A 192.0.2.1" in client.get(f"/admin/provisioning/run/{run.pk}/change/").content.decode()
    response = client.post("/admin/servers/server/", {"action": "converge", "_selected_action": [zone.primary_id]})
    assert response.status_code == 302
    assert ChangeSet.objects.filter(server=zone.primary, state="pending", full_run=True).exists()


def test_converge_waits_for_a_lease_left_by_a_dead_worker(monkeypatch: pytest.MonkeyPatch, zone: Zone) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from panel.provisioning import locks
    from panel.provisioning.models import ServerLease

    fake(monkeypatch, changed=False)
    assert locks.acquire(zone.primary_id, "a worker that was killed")
    ServerLease.objects.filter(server_id=zone.primary_id).update(expires_at=timezone.now() + timedelta(seconds=2))
    out = StringIO()
    call_command("converge", "ns1", "dns", stdout=out)
    assert "applied" in out.getvalue()
    with pytest.raises(CommandError):
        assert locks.acquire(zone.primary_id, "another worker")
        call_command("converge", "ns1", "dns", "--wait", "1", stdout=StringIO())
