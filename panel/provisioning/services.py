"""Requesting changes on servers. Domain services call `request()` inside their transaction; the run is
enqueued only once that transaction commits, so a worker never sees a change that was rolled back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from panel.accounts.registry import on_account_deleted
from panel.core.errors import Conflict
from panel.core.models import tenant_owner
from panel.provisioning import registry
from panel.provisioning.choices import ApplyState, ChangeSetState, ItemOutcome
from panel.provisioning.models import ChangeSet, ChangeSetItem

if TYPE_CHECKING:
    from panel.accounts.models import User
    from panel.servers.models import Server


def _pending_change_set(server: Server, service: str, actor: User | None) -> ChangeSet:
    for _ in range(3):
        existing = (
            ChangeSet.objects.select_for_update()
            .filter(server=server, service=service, state=ChangeSetState.PENDING)
            .first()
        )
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return ChangeSet.objects.create(server=server, service=service, requested_by=actor)
        except IntegrityError:
            continue  # another request created it between our read and our insert: join that one
    raise Conflict("Could not open a change set; try again.", code="busy")


def _item(change_set: ChangeSet, obj: models.Model, scope: str, requested_at: datetime) -> ChangeSetItem:
    account_id = getattr(obj, "account_id", None)
    return ChangeSetItem(
        change_set=change_set,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        scope=scope,
        account_ref=account_id,
        requested_at=requested_at,
    )


def _add_items(items: list[ChangeSetItem]) -> None:
    """An object already waiting in the change set takes the newer request's time and scope."""
    ChangeSetItem.objects.bulk_create(
        items,
        update_conflicts=True,
        unique_fields=["change_set", "content_type", "object_id"],
        update_fields=["object_repr", "scope", "requested_at"],
    )


@transaction.atomic
def request(
    *,
    server: Server,
    service: str,
    objects: Iterable[tuple[models.Model, str]] = (),
    actor: User | None,
    requested_at: datetime | None = None,
) -> ChangeSet:
    """Join (or open) the pending change set of `service` on `server` with `objects` (each with its scope,
    e.g. its zone name) and have it run after commit. Returns the change set to poll.

    A request that goes to several servers (a zone's primary and secondaries) passes one `requested_at` to
    each, so the object's state waits for all of them (see settle.py)."""
    registry.get(service)  # fail early on a typo, not in the worker
    change_set = _pending_change_set(server, service, actor if actor is not None and actor.pk else None)
    requested_at = requested_at or timezone.now()
    items = [_item(change_set, obj, scope, requested_at) for obj, scope in objects]
    if not items and not change_set.full_run:  # nothing named: a converge, which the whole change set becomes
        change_set.full_run = True
        change_set.save(update_fields=["full_run"])
    _add_items(items)
    from panel.provisioning.tasks import schedule_processing

    transaction.on_commit(lambda: schedule_processing(server.pk, service))
    return change_set


def is_pending(*, server: Server, service: str, obj: models.Model) -> bool:
    """Whether `obj` already waits in the pending (not yet running) change set of that server and service."""
    return ChangeSetItem.objects.filter(
        change_set__server=server,
        change_set__service=service,
        change_set__state=ChangeSetState.PENDING,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
    ).exists()


@transaction.atomic
def change_set_retry(*, change_set: ChangeSet, actor: User | None) -> ChangeSet:
    """Request the failed objects of a failed or partially failed change set again (a new request: their
    state follows this retry). The vars are rendered afresh from the panel, so objects deleted since are removed
    from the server as they should be."""
    if change_set.state not in {ChangeSetState.FAILED, ChangeSetState.PARTIAL}:
        raise Conflict(
            f"Only failed or partially failed change sets can be retried; this one is {change_set.state}.",
            field="state",
        )
    pending = _pending_change_set(change_set.server, change_set.service, actor)
    now = timezone.now()
    failed = change_set.items.exclude(outcome=ItemOutcome.APPLIED)
    _add_items(
        [
            ChangeSetItem(
                change_set=pending,
                content_type_id=item.content_type_id,
                object_id=item.object_id,
                object_repr=item.object_repr,
                scope=item.scope,
                account_ref=item.account_ref,
                requested_at=now,
            )
            for item in failed
        ]
    )
    if change_set.full_run and not pending.full_run:  # a converge that failed is retried as one
        pending.full_run = True
        pending.save(update_fields=["full_run"])
    from panel.provisioning.tasks import schedule_processing

    transaction.on_commit(lambda: schedule_processing(pending.server_id, pending.service))
    return pending


@transaction.atomic
def change_set_cancel(*, change_set: ChangeSet, actor: User | None) -> ChangeSet:
    change_set = ChangeSet.objects.select_for_update().get(pk=change_set.pk)
    if not change_set.can_become(ChangeSetState.CANCELLED):
        raise Conflict(f"A {change_set.state} change set cannot be cancelled.", field="state")
    change_set.state = ChangeSetState.CANCELLED
    change_set.finished_at = timezone.now()
    change_set.save(update_fields=["state", "finished_at"])
    return change_set


def _take_deleted_account_off(account_id: int, actor: User | None) -> list[ChangeSet]:
    """Every server and service that ever ran an object of the account (change-set items keep the account's id
    after it is gone) converges to its full state, which no longer holds the account's objects: the roles remove
    them (users, keys, vhosts, pools, mailboxes, addresses, zones)."""
    from panel.servers.models import Server

    pairs = (
        ChangeSet.objects.filter(items__account_ref=account_id)
        .values_list("server", "service")
        .distinct()
        .order_by("server", "service")
    )
    servers = {server.pk: server for server in Server.objects.filter(pk__in={pk for pk, _ in pairs})}
    return [request(server=servers[pk], service=service, actor=actor) for pk, service in pairs]


on_account_deleted(_take_deleted_account_off)


@transaction.atomic
def object_retry(*, obj: models.Model, actor: User | None) -> list[ChangeSet]:
    """A failed object requested again (the customer's retry): on each server and service its last failed request
    went to (a zone: its primary and its secondaries), with the same scope. Its state follows this request."""
    from panel.core.access import require_account_writable

    require_account_writable(actor, tenant_owner(obj))
    model = type(obj)
    locked = model._default_manager.select_for_update().get(pk=obj.pk)
    if getattr(locked, "apply_state", None) != ApplyState.FAILED:
        raise Conflict("Only a failed object can be tried again.", field="apply_state", code="not_failed")
    failed = ChangeSetItem.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=str(obj.pk), outcome=ItemOutcome.FAILED
    ).select_related("change_set__server")
    last = failed.order_by("-requested_at", "-pk").first()
    if last is None:
        raise Conflict("This object has no failed request to try again.", code="not_failed")
    now = timezone.now()
    model._default_manager.filter(pk=obj.pk).update(apply_state=ApplyState.PENDING, apply_error="")
    return [
        request(server=item.change_set.server, service=item.change_set.service, objects=[(locked, item.scope)],
                actor=actor, requested_at=now)
        for item in failed.filter(requested_at=last.requested_at)
    ]  # fmt: skip
