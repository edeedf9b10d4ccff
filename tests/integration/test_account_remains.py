"""What a deleted account leaves on disk: its home stays (never served) for the grace period, its handle stays
reserved meanwhile, then the daily task or staff remove it from every server that carried it; the users role
removes it (tests/unit/test_ensure_dirs_module.py, Molecule `users` and the deletion e2e on a real server)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from panel.accounts.models import Account, User
from panel.accounts.services import account_create, account_delete
from panel.core.errors import Conflict, Forbidden
from panel.provisioning import engine
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server
from panel.systemusers.models import UnixId
from panel.systemusers.provisioning import load
from panel.systemusers.services import remains_due, remains_purge, system_user_create
from panel.systemusers.tasks import purge_due_remains
from tests.integration.fakes import fake_runner
from tests.sshkeys import public_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def deleted(account_a: Account, web_server: Server, staff: User, monkeypatch: pytest.MonkeyPatch) -> UnixId:
    fake_runner(monkeypatch)
    system_user_create(account=account_a, name="alice-dev", keys=[public_key()], actor=None)
    engine.process(web_server.pk, "users")
    unix_id = UnixId.objects.get(account=account_a)
    account_delete(account=account_a, actor=staff)
    engine.process(web_server.pk, "users")
    unix_id.refresh_from_db()
    return unix_id


def test_a_deleted_account_s_home_waits_for_its_grace_period(deleted: UnixId, settings: object) -> None:
    assert deleted.removed_at is not None and deleted.purge_requested_at is None
    assert not remains_due().exists()
    assert list(remains_due(timezone.now() + timedelta(days=31))) == [deleted]
    assert not any(account.purge for account in load(Server.objects.get()).accounts), "nothing removed yet"


def test_its_handle_is_not_given_again_until_the_home_is_removed(
    deleted: UnixId, staff: User, web_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(Conflict) as refused:
        account_create(handle=deleted.handle, name="New owner", actor=staff, contacts=[])
    assert "handle" in refused.value.fields
    remains_purge(unix_id=deleted, actor=staff)
    fake_runner(monkeypatch)
    engine.process(web_server.pk, "users")
    account = account_create(
        handle=deleted.handle,
        name="New owner",
        actor=staff,
        contacts=[{"name": "N", "email": "n@elsewhere.org", "usages": ["emergency"]}],
    )
    assert account.handle == deleted.handle


def test_the_daily_task_removes_the_homes_past_their_grace_period(
    deleted: UnixId, web_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    UnixId.objects.filter(pk=deleted.pk).update(removed_at=timezone.now() - timedelta(days=31))
    runs = fake_runner(monkeypatch)
    before = ChangeSet.objects.count()
    purge_due_remains.call_local()
    [change_set] = ChangeSet.objects.order_by("-pk")[: ChangeSet.objects.count() - before]
    [home] = [account for account in load(web_server).accounts if account.purge]
    assert (home.name, home.uid) == (deleted.handle, deleted.uid)
    engine.process(web_server.pk, "users")
    assert runs, "a users run took it off the server"
    deleted.refresh_from_db()
    assert deleted.purged_at is not None and deleted.purge_error == ""
    assert not [account for account in load(web_server).accounts if account.purge], "once removed, never again"
    assert change_set.service == "users"


def test_a_refused_removal_is_kept_for_staff_and_retried(
    deleted: UnixId, staff: User, web_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    remains_purge(unix_id=deleted, actor=staff)
    refusal = {"unit": f"remains:{deleted.handle}", "label": "dirs", "msg": "/srv/baton/alice/private is not..."}
    fake_runner(monkeypatch, rejected=[refusal])
    engine.process(web_server.pk, "users")
    deleted.refresh_from_db()
    assert deleted.purged_at is None and "is not" in deleted.purge_error


def test_only_staff_remove_files_and_only_a_deleted_account_s(
    deleted: UnixId, customer_b: User, staff: User, account_b: Account, web_server: Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    with pytest.raises(Forbidden):
        remains_purge(unix_id=deleted, actor=customer_b)
    system_user_create(account=account_b, name="bob-dev", keys=[public_key()], actor=None)
    with pytest.raises(Conflict):
        remains_purge(unix_id=UnixId.objects.get(account=account_b), actor=staff)
    assert len(remains_purge(unix_id=deleted, actor=staff)) == 1
    assert len(remains_purge(unix_id=deleted, actor=staff)) == 1, "asking again while it runs joins the same run"
    fake_runner(monkeypatch)
    engine.process(web_server.pk, "users")
    with pytest.raises(Conflict):
        remains_purge(unix_id=deleted, actor=staff)


def test_an_account_that_never_had_files_anywhere_is_done_at_once(account_b: Account, staff: User) -> None:
    UnixId.objects.create(account=account_b, account_ref=account_b.pk, handle="bob", uid=200500)
    account_delete(account=account_b, actor=staff)
    unix_id = UnixId.objects.get(handle="bob")
    assert remains_purge(unix_id=unix_id, actor=staff) == []
    unix_id.refresh_from_db()
    assert unix_id.purged_at is not None
