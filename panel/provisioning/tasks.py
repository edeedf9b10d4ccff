"""Huey tasks of the provisioning engine. They only call the engine; no logic lives here."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, on_startup

from panel.provisioning import engine, registry, selectors
from panel.provisioning.choices import ChangeSetState, RunKind
from panel.provisioning.models import ChangeSet

log = logging.getLogger(__name__)


@db_task()
def process_task(server_id: int, service: str, debounce: float = 0.0) -> None:
    if debounce > 0 and selectors.burst_in_progress(server_id=server_id, service=service, window=debounce):
        time.sleep(debounce)  # let the rest of the burst join the change set before it is claimed
    # A worker that died mid-run (its consumer killed, its machine gone) left a change set running under a lease
    # nobody renews. Once that lease has run out, the next task of any worker puts it back to be run again (one
    # indexed query), instead of the next minute's reap_and_kick: with a change waiting for the server, as below,
    # within the lease plus one retry delay.
    engine.reap_abandoned()
    if not engine.process(server_id, service) and not HUEY.immediate:
        # Another worker is running on this server; it picks up our change set when it finishes, and this
        # retry makes sure of it even if that worker dies.
        schedule_processing(server_id, service, delay=2.0)


def schedule_processing(server_id: int, service: str, delay: float | None = None) -> None:
    """Enqueue a run. A lone change runs at once; during a burst a short debounce (slept in the task: Huey's
    scheduler only ticks once a second) lets the rest of it become one run. Longer delays (retries) go through
    the scheduler."""
    if HUEY.immediate:
        process_task(server_id, service)
    elif delay is None:
        process_task(server_id, service, settings.BATON_PROVISIONING_DEBOUNCE)
    elif delay <= 0:
        process_task(server_id, service)
    else:
        process_task.schedule((server_id, service), delay=delay)


@on_startup()
def _recover_after_restart() -> None:
    """A worker that starts (e.g. after another one died mid-run) looks for abandoned change sets as soon as
    their leases can have run out, instead of waiting for the next minute's periodic check."""
    if not HUEY.immediate:
        reap_and_kick.schedule(delay=settings.BATON_LEASE_SECONDS + 1)


@db_periodic_task(crontab(minute="*"))
def reap_and_kick() -> None:
    """Every minute: re-queue change sets abandoned by dead workers, and due retries whose task was lost."""
    engine.reap_abandoned()
    due = (
        ChangeSet.objects.filter(state__in=[ChangeSetState.PENDING, ChangeSetState.RETRYING])
        .values_list("server_id", "service")
        .distinct()
    )
    for server_id, service in due:
        schedule_processing(server_id, service, delay=0)


@db_periodic_task(crontab(minute=settings.BATON_DRIFT_MINUTE, hour=settings.BATON_DRIFT_HOUR))
def drift_check_all() -> None:
    from panel.servers.models import Server

    for server in Server.objects.filter(is_active=True):
        for service in registry.names():
            if set(registry.get(service).server_roles) & set(server.roles):
                drift_check_task(server.pk, service)


@db_task()
def drift_check_task(server_id: int, service: str) -> None:
    from panel.servers.models import Server

    try:
        engine.check(Server.objects.get(pk=server_id), service, kind=RunKind.DRIFT)
    except Exception:  # a drift check must never take the worker down
        log.exception("drift check of %s on server %s failed", service, server_id)
