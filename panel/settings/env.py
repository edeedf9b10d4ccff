"""Reading configuration from the environment.

Settings come from environment variables (twelve-factor style) so one code base runs as the embedded demo,
in CI and in production without editing files.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("BATON_VAR_DIR", BASE_DIR / "var"))

_ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
}


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed."""


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_database_url(url: str) -> dict[str, Any]:
    """Turn `sqlite:///path` or `postgres://user:pass@host:port/name?opt=v` into a DATABASES entry."""
    if url != url.strip() or "\n" in url or "\r" in url:
        # A script that prints a note next to the URL must fail here, naming the variable, not deep in Django.
        raise ConfigurationError(f"DATABASE_URL: has a line break or surrounding spaces: {url!r}")
    parts = urlsplit(url)
    engine = _ENGINES.get(parts.scheme)
    if engine is None:
        raise ConfigurationError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}")
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as dj-database-url reads them.
        path = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        # The web process and the Huey worker write concurrently: IMMEDIATE transactions take the write lock
        # up front (a deferred one fails at once when it cannot upgrade), and WAL lets readers go on meanwhile.
        # synchronous=NORMAL is SQLite's advice for WAL: a commit no longer waits for an fsync (only checkpoints
        # do), which cost ~3.5 ms per write request here; the database stays consistent, and a power cut loses
        # at most the last commits. (Production runs PostgreSQL.)
        options = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        return {"ENGINE": engine, "NAME": path or ":memory:", "OPTIONS": options}
    return {
        "ENGINE": engine,
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": dict(parse_qsl(parts.query)),
        "CONN_MAX_AGE": 60,
    }


def database_from_env() -> dict[str, Any]:
    default = f"sqlite:///{VAR_DIR / 'baton.sqlite3'}"
    return parse_database_url(os.environ.get("DATABASE_URL", default))


def huey_from_env(*, immediate: bool) -> dict[str, Any]:
    """Huey on SQLite under var/ by default; REDIS_URL switches to Redis for several workers and machines. Both
    classes enqueue each periodic task once per slot however many consumers run (panel/core/periodic.py)."""
    # Processes by default: threads share one interpreter, so CPU-bound tasks (invoice PDFs) would run one at a
    # time however many workers there are. HUEY_WORKER_TYPE=thread is there for platforms without fork.
    worker_type = os.environ.get("HUEY_WORKER_TYPE", "process")
    if worker_type not in {"thread", "process"}:
        raise ConfigurationError(f"HUEY_WORKER_TYPE: 'thread' or 'process', not {worker_type!r}")
    # An idle consumer backs off between polls of the queue (Huey's default: up to 10 s), and that wait is
    # added to the latency of the next change; polling ten times a second costs next to nothing (an indexed
    # read of an empty queue).
    consumer = {
        "workers": int(os.environ.get("HUEY_WORKERS", "2")),
        "worker_type": worker_type,
        "initial_delay": 0.05,
        "backoff": 1.1,
        "max_delay": 0.1,
    }
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return {
            "name": "baton",
            "huey_class": "panel.core.periodic.RedisHuey",
            "url": redis_url,
            "immediate": immediate,
            "consumer": consumer,
        }
    filename = os.environ.get("HUEY_SQLITE", str(VAR_DIR / "huey.sqlite3"))
    return {
        "name": "baton",
        "huey_class": "panel.core.periodic.SqliteHuey",
        "filename": filename,
        "immediate": immediate,
        "consumer": consumer,
    }


def generated_secret_key() -> str:
    """A development secret kept in var/ so sessions survive restarts; production must set SECRET_KEY."""
    return _generated("secret_key", lambda: secrets.token_urlsafe(50))


def generated_fernet_key() -> str:
    """A development key for the secrets the panel stores encrypted (panel.core.secrets), kept in var/ so they stay
    readable across restarts; production must set BATON_SECRET_KEYS."""
    return _generated("secrets_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())


def _generated(name: str, make: Callable[[], str]) -> str:
    key_file = VAR_DIR / name
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # the web process and the worker start together; the first one wins
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(make())
    return key_file.read_text().strip()
