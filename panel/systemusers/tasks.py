"""The daily removal of deleted accounts' homes whose grace period is over."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from panel.systemusers.services import remains_due, remains_purge

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="40", hour="4"))
def purge_due_remains() -> None:
    for unix_id in remains_due():
        change_sets = remains_purge(unix_id=unix_id, actor=None)
        log.info("removing the home of deleted account %s: %d change set(s)", unix_id.handle, len(change_sets))
