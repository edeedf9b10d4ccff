"""From a change set to a converged server: claim it, render the desired state, run, record, settle.

Called by the Huey task (tasks.py) and by the management commands. One run at a time per server (see
locks.py); change sets of a server are taken oldest first, and every run renders the full desired state of
the service on that server, so retries and reorderings converge to the same result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from panel.provisioning import desired_state, hostvars, locks, notify, registry, selectors
from panel.provisioning.choices import ChangeSetState, ItemOutcome, RunKind, RunStatus
from panel.provisioning.models import ChangeSet, ChangeSetItem, Run, RunEvent
from panel.provisioning.runner import RunRequest, RunResult, Target, execute
from panel.servers.models import Server

log = logging.getLogger(__name__)
_RETRYABLE = {RunStatus.UNREACHABLE, RunStatus.TIMEOUT}


class InvalidTransition(RuntimeError):
    pass


def set_state(change_set: ChangeSet, state: str, **fields: Any) -> None:
    """The only way a change set changes state: the transition table in models.TRANSITIONS is the law."""
    if not change_set.can_become(state):
        raise InvalidTransition(f"change set #{change_set.pk}: {change_set.state} -> {state} is not allowed")
    change_set.state = state
    for name, value in fields.items():
        setattr(change_set, name, value)
    change_set.save(update_fields=["state", *fields])


def target_of(server: Server) -> Target:
    return Target(
        name=server.name,
        address=server.address,
        port=server.ssh_port,
        user=server.ssh_user,
        host_key=server.host_key,
        groups=tuple(server.inventory_groups) or ("ungrouped",),
    )


@dataclass(frozen=True)
class Rendered:
    text: str  # secrets only as their digests: this is what history, plans and the run's vars file hold
    digest: str
    secrets: dict[str, str] = field(default_factory=dict, repr=False)  # digest -> value, for the run's memory only


def render(server: Server, service: str) -> Rendered:
    spec = registry.get(service)
    variables = spec.render(spec.load(server))
    text = hostvars.dump(variables)
    return Rendered(text=text, digest=hostvars.digest(text), secrets=hostvars.secrets_of(variables))


def _runnable(now: datetime) -> Q:
    """A change set a worker may take now: pending, or retrying and due."""
    return Q(state=ChangeSetState.PENDING) | Q(state=ChangeSetState.RETRYING, next_attempt_at__lte=now)


def _claim(server_id: int, service: str) -> tuple[ChangeSet, Rendered] | None:
    """Take the next runnable change set and render the desired state in the same transaction.

    The service's `lock` takes the rows its renderer reads (the DNS zones of the server), which its own
    service functions lock before joining a change set: a change either lands in this render or waits and
    opens the next change set. Nothing slips between the two (e.g. a record rendered under a serial that the
    next run would reuse).
    """
    now = timezone.now()
    spec = registry.get(service)
    with transaction.atomic():
        server = Server.objects.get(pk=server_id)
        spec.lock(server)
        change_set = (
            ChangeSet.objects.select_for_update()
            .filter(_runnable(now), server_id=server_id, service=service)
            .order_by("created_at", "pk")
            .first()
        )
        if change_set is None:
            return None
        set_state(
            change_set,
            ChangeSetState.RUNNING,
            started_at=now,
            attempts=change_set.attempts + 1,
            lease_expires_at=now + timedelta(seconds=settings.BATON_LEASE_SECONDS),
        )
        return change_set, render(server, service)


def process(server_id: int, service: str) -> bool:
    """Run every runnable change set of `service` on the server. False when another worker holds the server."""
    holder = locks.new_holder()
    if not locks.acquire(server_id, holder):
        return False
    try:
        # What the service stands on goes first (a website's pool runs as a user the users service creates, and
        # both are requested together): its runnable change sets on this server, then the service's own.
        for required in (*registry.get(service).requires, service):
            _apply_runnable(server_id, required, holder)
        # What other services' changes came in for this server meanwhile runs now, under the same lease: their own
        # workers found the server busy and would only try again 2 s later (Huey's scheduler ticks once a second).
        for _ in range(DRAIN_ROUNDS):
            waiting = _waiting_services(server_id)
            if not waiting:
                break
            for other in waiting:
                for required in (*registry.get(other).requires, other):
                    _apply_runnable(server_id, required, holder)
    finally:
        locks.release(server_id, holder)
    return True


DRAIN_ROUNDS = 5


def _waiting_services(server_id: int) -> list[str]:
    waiting = ChangeSet.objects.filter(_runnable(timezone.now()), server_id=server_id)
    window = settings.BATON_PROVISIONING_DEBOUNCE
    # A burst still coming in is left to its own task, which waits for the rest of it to join one run.
    return sorted(
        service
        for service in set(waiting.values_list("service", flat=True))
        if not selectors.burst_in_progress(server_id=server_id, service=service, window=window)
    )


def _apply_runnable(server_id: int, service: str, holder: str) -> None:
    while (claimed := _claim(server_id, service)) is not None:
        try:
            apply_change_set(*claimed, holder=holder)
        except Exception as error:  # never leave a claimed change set running because of a bug or an outage
            log.exception("change set #%s could not be applied", claimed[0].pk)
            _give_up(claimed[0], f"The change could not be applied: {error!r}")


@dataclass(frozen=True)
class Targeting:
    tags: tuple[str, ...]
    skip_tags: tuple[str, ...] = ()
    extravars: dict[str, Any] = field(default_factory=dict)
    only: list[str] = field(default_factory=list)


def _targeting(change_set: ChangeSet) -> Targeting:
    """Narrowest tags and "only these" vars covering the change set's items, or a full run. The first run of a
    service on a server is always a full one: a targeted slice assumes packages, configuration and service."""
    spec = registry.get(change_set.service)
    full = Targeting(tags=spec.full_tags, skip_tags=spec.skip_tags)
    scopes = sorted({item.scope for item in change_set.items.all()})
    if change_set.full_run or not (spec.targeted_tags and scopes) or "" in scopes:
        return full
    if not _had_full_run(change_set.server_id, spec):
        return full
    variables = (spec.scope_var,) if isinstance(spec.scope_var, str) else spec.scope_var or ()
    extravars: dict[str, Any] = {variable: scopes for variable in variables}
    return Targeting(tags=spec.targeted_tags, skip_tags=spec.skip_tags, extravars=extravars, only=scopes)


def _had_full_run(server_id: int, spec: registry.ServiceSpec) -> bool:
    return Run.objects.filter(
        server_id=server_id,
        service=spec.name,
        kind=RunKind.APPLY,
        status__in=[RunStatus.SUCCESSFUL, RunStatus.PARTIAL],
        tags=",".join(spec.full_tags),
    ).exists()


def _heartbeat(change_set: ChangeSet, holder: str) -> None:
    locks.renew(change_set.server_id, holder)
    ChangeSet.objects.filter(pk=change_set.pk, state=ChangeSetState.RUNNING).update(
        lease_expires_at=timezone.now() + timedelta(seconds=settings.BATON_LEASE_SECONDS)
    )


def _author(change_set: ChangeSet) -> tuple[str, str]:
    user = change_set.requested_by
    if user is None:
        return "Baton system", "baton@localhost"
    return (user.get_full_name() or user.username), (user.email or f"{user.username}@baton.invalid")


def _commit_desired_state(change_set: ChangeSet, rendered: Rendered, name: str, email: str) -> None:
    """The history is a record, not a gate: a git problem is logged and the change still goes out."""
    message = (
        f"{change_set.service}@{change_set.server.name}: change set #{change_set.pk} "
        f"({change_set.items.count()} objects)"
    )
    try:
        desired_state.commit(
            change_set.server.name,
            change_set.service,
            rendered.text,
            message=message,
            author_name=name,
            author_email=email,
        )
    except Exception:
        log.exception("could not record the desired state of change set #%s in git", change_set.pk)


def apply_change_set(change_set: ChangeSet, rendered: Rendered, *, holder: str) -> Run:
    server = change_set.server
    targeting = _targeting(change_set)
    spec = registry.get(change_set.service)
    previous = desired_state.read(server.name, change_set.service)
    if rendered.text != previous:  # a converge that changes nothing has nothing to record
        _commit_desired_state(change_set, rendered, *_author(change_set))
    run = Run.objects.create(
        change_set=change_set,
        server=server,
        service=change_set.service,
        kind=RunKind.APPLY,
        ident=f"cs{change_set.pk}-{change_set.attempts}-{timezone.now():%Y%m%d%H%M%S%f}",
        playbook=spec.playbook,
        tags=",".join(targeting.tags),
        only=targeting.only,
        vars_hash=rendered.digest,
        vars_diff=desired_state.unified_diff(previous, rendered.text, f"{change_set.service}.json"),
    )
    request = RunRequest(
        target=target_of(server),
        service=change_set.service,
        playbook=spec.playbook,
        host_vars=rendered.text,
        secrets=rendered.secrets,
        tags=targeting.tags,
        skip_tags=targeting.skip_tags,
        extravars=targeting.extravars,
        ident=run.ident,
    )
    try:
        if server.host_key_confirmed_at is None or not server.host_key:
            result = _refused(f"The SSH host key of {server} is not confirmed by staff yet; confirm it, then retry.")
        else:
            result = execute(request, heartbeat=lambda: _heartbeat(change_set, holder))
    except Exception as error:  # the runner itself broke: record it, never leave the change set running
        log.exception("run %s crashed", run.ident)
        result = _refused(repr(error))
    _record(run, result)
    _settle(change_set, run, result)
    return run


def _give_up(change_set: ChangeSet, error: str) -> None:
    change_set.refresh_from_db()
    if change_set.state != ChangeSetState.RUNNING:
        return
    with transaction.atomic():
        set_state(change_set, ChangeSetState.FAILED, finished_at=timezone.now(), error=error, lease_expires_at=None)
        items = list(change_set.items.all())
        _fail_items(items, "The change could not be applied because of an error in the panel; staff have been told.")
        registry.get(change_set.service).settle(items)


def _refused(reason: str) -> RunResult:
    return RunResult(status=RunStatus.ERROR, rc=None, stats={}, events=[], error=reason, duration=0.0)


def _record(run: Run, result: RunResult) -> None:
    RunEvent.objects.bulk_create(
        [
            RunEvent(
                run=run,
                seq=e.seq,
                task=e.task,
                host=e.host,
                item=e.item,
                status=e.status,
                message=e.message,
                stdout=e.stdout,
                stderr=e.stderr,
                diff=e.diff,
                duration=e.duration,
            )
            for e in result.events
        ],
        batch_size=500,
    )
    run.rejected = result.rejected
    run.status = RunStatus.PARTIAL if result.status == RunStatus.SUCCESSFUL and run.rejected else result.status
    run.stats = result.stats
    run.error = result.error or _rejected_summary(run.rejected)
    run.duration = result.duration
    run.finished_at = timezone.now()
    run.drift = any(e.changed for e in result.events) if run.kind != RunKind.APPLY else None
    run.save(update_fields=["status", "stats", "error", "duration", "finished_at", "drift", "rejected"])


def _rejected_summary(rejected: list[dict[str, str]]) -> str:
    return "\n".join(f"{entry['label']}: {entry['msg']}" for entry in rejected)


def _settle(change_set: ChangeSet, run: Run, result: RunResult) -> None:
    spec = registry.get(change_set.service)
    now = timezone.now()
    items = list(change_set.items.all())
    with transaction.atomic():
        if result.status == RunStatus.SUCCESSFUL:
            refused = _outcomes_by_unit(change_set, items, result.rejected)
            state = ChangeSetState.PARTIAL if refused else ChangeSetState.APPLIED
            set_state(change_set, state, finished_at=now, error=_rejected_summary(refused), lease_expires_at=None)
            spec.settle(items)
            # The last change set of an object (e.g. the secondary's) makes it applied or deletes it. Two servers
            # finishing together each see the other's change set still open in their own transaction, and
            # neither would; settling again after the commit, whoever commits last sees both (it is idempotent).
            transaction.on_commit(lambda: _settle_again(spec, items))
            if refused:
                transaction.on_commit(lambda: notify.staff_of_failure(change_set, run))
            return
        if result.status in _RETRYABLE and change_set.attempts < settings.BATON_RETRY_LIMIT:
            delay = settings.BATON_RETRY_BASE_SECONDS * 2 ** (change_set.attempts - 1)
            set_state(
                change_set,
                ChangeSetState.RETRYING,
                next_attempt_at=now + timedelta(seconds=delay),
                error=result.error,
                lease_expires_at=None,
            )
            from panel.provisioning.tasks import schedule_processing

            transaction.on_commit(lambda: schedule_processing(change_set.server_id, change_set.service, delay=delay))
            return
        set_state(change_set, ChangeSetState.FAILED, finished_at=now, error=result.error, lease_expires_at=None)
        _fail_items(items, _customer_error(change_set, result))
        spec.settle(items)
        transaction.on_commit(lambda: notify.staff_of_failure(change_set, run))


def _outcomes_by_unit(
    change_set: ChangeSet, items: list[ChangeSetItem], rejected: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Items whose unit (their scope) a validator refused fail with that unit's messages, the others are
    applied. Returns the refusals that concern this change set: its own units, or all of them in a full run
    (a converge covers every object). Refusals of other units (an object that failed before and is still
    wrong, re-checked because every run renders the full state) are only recorded on the run."""
    messages: dict[str, list[str]] = {}
    for entry in rejected:
        messages.setdefault(entry["unit"], []).append(f"{entry['label']}: {entry['msg']}".strip())
    failed = [item for item in items if _units(item) & messages.keys()]
    _fail_items(failed, None, messages)
    ChangeSetItem.objects.filter(pk__in=[item.pk for item in items if not _units(item) & messages.keys()]).update(
        outcome=ItemOutcome.APPLIED, error=""
    )
    scopes = {unit for item in items for unit in _units(item)}
    return [entry for entry in rejected if change_set.full_run or entry["unit"] in scopes]


def _units(item: ChangeSetItem) -> set[str]:
    """An item's scope names one unit, or several separated by spaces (a website: its vhost and its account's
    pool), any of which failing fails the item. The whole scope counts too (an address's scope is its text)."""
    return {item.scope, *item.scope.split()}


def _fail_items(
    items: list[ChangeSetItem], error: str | None, messages_by_unit: dict[str, list[str]] | None = None
) -> None:
    by_error: dict[str, list[int]] = {}
    for item in items:
        found = messages_by_unit or {}
        text = (
            error if error is not None else "\n".join(m for unit in sorted(_units(item)) for m in found.get(unit, []))
        )
        by_error.setdefault(text, []).append(item.pk)
    for text, pks in by_error.items():
        ChangeSetItem.objects.filter(pk__in=pks).update(outcome=ItemOutcome.FAILED, error=text[:5000])


def _customer_error(change_set: ChangeSet, result: RunResult) -> str:
    """What the objects of a run that failed as a whole say. Not the run's error: a run covers every account's
    objects on the server, and its output may name any of them. Staff read it on the change set and its runs."""
    failed_task = next((e.task for e in result.events if e.status in {"failed", "unreachable"}), "")
    where = f" at the step '{failed_task}'" if failed_task else ""
    return (
        f"The change did not reach {change_set.server.name}: the run failed{where}. "
        "The previous configuration stays live. Staff have been told and see the details."
    )


def _settle_again(spec: registry.ServiceSpec, items: list[ChangeSetItem]) -> None:
    with transaction.atomic():
        spec.settle(items)


def check(server: Server, service: str, *, kind: str) -> Run:
    """A check-mode + diff run of the current desired state: a plan (what an apply would change) or a drift
    check (what differs on the server). Changes nothing on the server nor in the desired-state history.

    It runs every task that manages a file, configuration and data (`spec.check_tags`), not the package, user,
    directory and service tasks, whose checks cost a round trip each and which a converge sets up anyway. A
    server busy with another run is not waited for: the check is recorded as skipped."""
    if server.host_key_confirmed_at is None or not server.host_key:
        raise locks.ServerBusy(f"The SSH host key of {server} is not confirmed by staff yet.")
    spec = registry.get(service)
    holder = locks.new_holder()
    if not locks.acquire(server.pk, holder):
        return _skipped(server, service, kind, f"{server} was running another change; the check was skipped.")
    try:
        rendered = render(server, service)
        previous = desired_state.read(server.name, service)
        run = Run.objects.create(
            server=server,
            service=service,
            kind=kind,
            playbook=spec.playbook,
            ident=_check_ident(server, kind),
            tags=",".join(spec.check_tags or spec.full_tags),
            vars_hash=rendered.digest,
            vars_diff=desired_state.unified_diff(previous, rendered.text, f"{service}.json"),
        )
        request = RunRequest(
            target=target_of(server),
            service=service,
            playbook=spec.playbook,
            host_vars=rendered.text,
            secrets=rendered.secrets,
            tags=spec.check_tags or spec.full_tags,
            skip_tags=spec.skip_tags,
            check=True,
            ident=run.ident,
        )

        def heartbeat() -> None:
            locks.renew(server.pk, holder)

        result = execute(request, heartbeat=heartbeat)
        _record(run, result)
        return run
    finally:
        locks.release(server.pk, holder)


def _check_ident(server: Server, kind: str) -> str:
    return f"{kind}-{server.pk}-{timezone.now():%Y%m%d%H%M%S%f}"


def _skipped(server: Server, service: str, kind: str, reason: str) -> Run:
    now = timezone.now()
    return Run.objects.create(
        server=server,
        service=service,
        kind=kind,
        status=RunStatus.SKIPPED,
        playbook=registry.get(service).playbook,
        ident=_check_ident(server, kind),
        finished_at=now,
        duration=0.0,
        error=reason,
    )


def reap_abandoned() -> list[int]:
    """Change sets whose worker died mid-run (lease expired) go back to be run again."""
    now = timezone.now()
    reaped = []
    stale = ChangeSet.objects.filter(state=ChangeSetState.RUNNING, lease_expires_at__lt=now)
    for change_set in stale:
        with transaction.atomic():
            change_set = ChangeSet.objects.select_for_update().get(pk=change_set.pk)
            if change_set.state != ChangeSetState.RUNNING:
                continue
            set_state(
                change_set,
                ChangeSetState.RETRYING,
                next_attempt_at=now,
                lease_expires_at=None,
                error="The worker running this change set stopped; it is run again.",
            )
            reaped.append(change_set.pk)
    return reaped
