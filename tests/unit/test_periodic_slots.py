"""Each periodic task is enqueued once per slot however many consumers' schedulers ask (panel/core/periodic.py):
two Huey instances on one storage stand for two consumers; SQLite here, a real redis-server in the second test."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from huey import crontab

from panel.core.periodic import RedisHuey, SqliteHuey
from tests.redis_server import redis_server

T0 = datetime.datetime(2026, 11, 21, 12, 0, 5)


def consumers(make: Any) -> list[Any]:
    """Two Huey instances sharing one queue, each with the same periodic task registered, as two consumers."""
    instances = []
    for _ in range(2):
        instance = make()

        @instance.periodic_task(crontab(minute="*"))
        def every_minute() -> None:
            pass

        instances.append(instance)
    return instances


def ids(instance: Any, when: datetime.datetime) -> list[str]:
    return [task.id for task in instance.read_periodic(when)]


def check_once_per_slot(first: Any, second: Any) -> None:
    assert ids(first, T0) == ["tests.unit.test_periodic_slots.every_minute@2026-11-21T12:00"]
    assert ids(second, T0 + datetime.timedelta(seconds=30)) == [], "the slot was claimed by the first consumer"
    assert ids(first, T0 + datetime.timedelta(seconds=50)) == [], "a second check in the same minute"
    # The next minute goes to whichever consumer asks first: the slots go on when a consumer stops.
    assert ids(second, T0 + datetime.timedelta(minutes=1)) == [
        "tests.unit.test_periodic_slots.every_minute@2026-11-21T12:01"
    ]
    assert ids(first, T0 + datetime.timedelta(minutes=1, seconds=1)) == []


def test_sqlite_consumers_share_each_slot_and_old_claims_are_dropped(tmp_path: Path) -> None:
    first, second = consumers(lambda: SqliteHuey("slots", filename=str(tmp_path / "huey.db")))
    check_once_per_slot(first, second)
    keys = lambda: sorted(first.storage.result_items())  # noqa: E731
    assert keys() == [
        "periodic-slot:2026-11-21T12:00:tests.unit.test_periodic_slots.every_minute",
        "periodic-slot:2026-11-21T12:01:tests.unit.test_periodic_slots.every_minute",
    ]
    assert ids(first, T0 + datetime.timedelta(days=1, minutes=1)) == [
        "tests.unit.test_periodic_slots.every_minute@2026-11-22T12:01"
    ]
    assert keys() == [
        "periodic-slot:2026-11-21T12:01:tests.unit.test_periodic_slots.every_minute",
        "periodic-slot:2026-11-22T12:01:tests.unit.test_periodic_slots.every_minute",
    ], "claims older than a day are dropped"


def test_redis_consumers_share_each_slot_and_claims_expire(tmp_path: Path) -> None:
    import redis

    with redis_server(tmp_path) as url:
        first, second = consumers(lambda: RedisHuey("slots", url=url))
        check_once_per_slot(first, second)
        client = redis.Redis.from_url(url)
        key = "huey.slots.periodic-slot:2026-11-21T12:00:tests.unit.test_periodic_slots.every_minute"
        assert 0 < client.ttl(key) <= 86400
