"""A real, throw-away `redis-server` (Debian package) for tests: loopback only, a free port of its own, nothing
written to disk, stopped by the fixture that started it (also when the test fails)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.hosts import free_port


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """Start redis-server; yields its URL."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed: ./scripts/test installs it (apt-get install redis-server)")
    port = free_port()
    log = open(directory / "redis.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_ready(url, process, directory / "redis.log")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 10) -> None:
    import redis

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"redis-server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if client.ping():
                return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)
