"""Periodic tasks run once per slot, however many Huey consumers run.

Huey runs a scheduler in every `run_huey` process, and each one enqueues every periodic task that is due in the
current minute. With several consumers (on one machine, or on several sharing Redis) every periodic task would run
once per consumer: two reaps a minute, two drift checks an hour, two monthly billing runs. These Huey classes claim
each (task, minute) slot in the queue's own storage before enqueueing the task, with one atomic write (Redis
`SET NX`, an SQLite `INSERT`): the consumer that claims the slot enqueues the task, the others skip it.

Why a claim rather than one consumer with the scheduler (`run_huey --no-periodic` on the others): every consumer
keeps its scheduler, so the periodic work goes on, without anyone acting, when any consumer or machine stops;
and the reaping of change sets abandoned by a dead worker is one of those periodic tasks. The storage is the one
thing every consumer of a queue shares by definition, so the claim holds across machines; a slot is the minute on
the consumer's clock, so clocks kept by NTP (well under a minute apart) name the same slot.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
from typing import Any

import huey

# A slot is a minute (cron's resolution); the string sorts chronologically, which the SQLite pruning relies on.
SLOT_FORMAT = "%Y-%m-%dT%H:%M"
SLOT_PREFIX = "periodic-slot:"
# How long a claim is kept: far longer than any clock difference between consumers, short enough to stay small
# (about 1,500 keys a day: the minutely reap, the hourly drift check, the monthly billing run).
SLOT_KEEP = datetime.timedelta(days=1)

# A child of Huey's logger: the lines land in the consumer's log next to its "Enqueueing periodic task" lines.
log = logging.getLogger("huey.periodic")


def slot_id(task: str, slot: str) -> str:
    """The id of the task enqueued for a slot: it names the slot, so each periodic run can be told apart."""
    return f"{task}@{slot}"


class OncePerSlotHuey(huey.Huey):
    """Enqueues a due periodic task only when this consumer is the first to claim its slot."""

    def read_periodic(self, timestamp: datetime.datetime | None) -> list[Any]:
        if timestamp is None:
            timestamp = self._get_timestamp()
        slot = timestamp.strftime(SLOT_FORMAT)
        due = []
        for task in super().read_periodic(timestamp):
            name = self._registry.task_to_string(type(task))
            if self.claim_slot(name, timestamp):
                due.append(type(task)(id=slot_id(name, slot)))
            else:
                log.info("periodic task %s of %s: enqueued by another consumer, skipped here", name, slot)
        return due

    def claim_slot(self, task: str, timestamp: datetime.datetime) -> bool:
        key = f"{SLOT_PREFIX}{timestamp.strftime(SLOT_FORMAT)}:{task}"
        holder = f"{socket.gethostname()}:{os.getpid()}"
        try:
            return self._claim(key, holder, timestamp)
        except Exception:  # the storage is down: nothing can be enqueued now anyway; never kill the scheduler
            log.exception("could not claim the slot %s", key)
            return False

    def _claim(self, key: str, holder: str, timestamp: datetime.datetime) -> bool:
        return bool(self.storage.put_if_empty(key, holder.encode()))


class RedisHuey(OncePerSlotHuey, huey.RedisHuey):
    """Huey on Redis: a slot is a key set with NX, expiring by itself."""

    def _claim(self, key: str, holder: str, timestamp: datetime.datetime) -> bool:
        ttl = int(SLOT_KEEP.total_seconds())
        return bool(self.storage.conn.set(f"huey.{self.name}.{key}", holder, nx=True, ex=ttl))


class SqliteHuey(OncePerSlotHuey, huey.SqliteHuey):
    """Huey on SQLite (several consumers on one machine): a slot is a row of Huey's key-value table; the claim
    is an INSERT that fails when the row exists. Each claim drops the claims older than SLOT_KEEP."""

    def _claim(self, key: str, holder: str, timestamp: datetime.datetime) -> bool:
        if not self.storage.put_if_empty(key, holder.encode()):
            return False
        oldest = f"{SLOT_PREFIX}{(timestamp - SLOT_KEEP).strftime(SLOT_FORMAT)}"
        self.storage.sql(
            "delete from kv where queue = ? and key >= ? and key < ?", (self.name, SLOT_PREFIX, oldest), commit=True
        )
        return True
