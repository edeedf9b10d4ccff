"""End-to-end fixtures: the panel served by pytest-django's live server, real Huey worker processes sharing
its database, and real test servers. These tests need PostgreSQL (a worker process cannot see an in-memory
SQLite test database); the README test command provides it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from huey.contrib.djhuey import HUEY

from tests import hosts


@pytest.fixture
def e2e_database(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("end-to-end tests need PostgreSQL: run them through ./scripts/test")


class Api:
    """A tiny JSON client speaking real HTTP to the live server."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def ok(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        status, data = self.call(method, path, body)
        assert 200 <= status < 300, (method, path, status, data)
        return data

    def login(self, username: str, password: str) -> Api:
        token = self.ok("POST", "/api/auth/token/", {"username": username, "password": password})["key"]
        return Api(self.base, token)

    def wait_applied(self, change_set: int, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.ok("GET", f"/api/changesets/{change_set}/")
            if data["state"] in {"applied", "partial", "failed", "cancelled"}:
                return data
            time.sleep(0.2)
        raise AssertionError(f"change set {change_set} still {data['state']} after {timeout} s")


Worker = subprocess.Popen[bytes]


@pytest.fixture
def start_worker(e2e_database: None, tmp_path: Any, settings: Any) -> Iterator[Callable[[], Worker]]:
    """Start real `manage.py run_huey` processes on the test database; queued work goes to them."""
    settings.BATON_LEASE_SECONDS = 6
    settings.BATON_SSH_KEY = str(hosts.ssh_key())
    HUEY.immediate = False  # the panel enqueues into the shared Huey file instead of running in-process
    HUEY.flush()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "panel.settings.test",
        "BATON_HUEY_IMMEDIATE": "0",
        "DATABASE_URL": f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}",
        "BATON_SSH_KEY": settings.BATON_SSH_KEY,
        "BATON_DESIRED_STATE_DIR": settings.BATON_DESIRED_STATE_DIR,
        "BATON_RUN_DIR": settings.BATON_RUN_DIR,
        "BATON_LEASE_SECONDS": "6",
        "BATON_RETRY_BASE_SECONDS": "2",
    }
    workers: list[Worker] = []
    logs = []

    def start() -> Worker:
        log = open(tmp_path / f"worker-{len(workers)}.log", "wb")  # noqa: SIM115 - closed at teardown
        logs.append(log)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--workers", "2"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
        for log in logs:
            log.close()
        HUEY.immediate = True


@pytest.fixture(scope="module")
def name_servers() -> Iterator[tuple[hosts.TestHost, hosts.TestHost]]:
    names = ("baton-e2e-ns1", "baton-e2e-ns2")
    try:
        yield hosts.start(names[0], ports=[53]), hosts.start(names[1], ports=[53])
    finally:
        for name in names:
            hosts.stop(name)


def dig(host: hosts.TestHost, name: str, rdtype: str) -> list[str]:
    import dns.message
    import dns.query
    import dns.rdatatype

    response = dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=host.ports[53], timeout=3)
    return sorted(
        r.to_text() for rrset in response.answer for r in rrset if rrset.rdtype == dns.rdatatype.from_text(rdtype)
    )


def rcpt(host: hosts.TestHost, recipient: str, sender: str = "someone@outside.example") -> int:
    """The SMTP reply code to RCPT TO from outside (port 25, no login)."""
    import smtplib

    with smtplib.SMTP("127.0.0.1", host.ports[25], timeout=30) as smtp:
        smtp.ehlo()
        smtp.mail(sender)
        code, _ = smtp.rcpt(recipient)
        return code


def served_now(check: Callable[[], Any], expected: Any, what: str = "") -> None:
    """ "Applied" means served: the server is asked once, right after the change set is applied, with no retry
    and no sleep; a client outside would get this answer to its first request."""
    answer = check()
    assert answer == expected, f"{what or 'the first request'} right after applied: {answer!r}, not {expected!r}"


def eventually(check: Callable[[], Any], expected: Any, timeout: float = 20) -> None:
    """For what is not a matter of configuration: a message's way through the queue, a change set still running.
    Never for an object that is already applied (served_now)."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value == expected:
            return
        time.sleep(0.3)
    raise AssertionError(f"expected {expected!r}, still {value!r} after {timeout} s")


def staff_api(live_server: Any, username: str) -> Api:
    from tests.factories import PASSWORD, make_staff

    make_staff(username)
    return Api(live_server.url).login(username, PASSWORD)


def register_server(staff: Api, host: hosts.TestHost, roles: list[str]) -> dict[str, Any]:
    """Register a test server through the API and confirm the host key read from it, as staff would."""
    server = staff.ok(
        "POST",
        "/api/servers/",
        {
            "name": host.name,
            "address": "127.0.0.1",
            "ssh_port": host.ssh_port,
            "roles": roles,
            "service_address": host.address,
        },
    )
    assert server["host_key"] == host.host_key, "the key is read from the server at registration"
    assert server["host_key_confirmed_at"] is None
    staff.ok("POST", f"/api/servers/{server['id']}/confirm-host-key/", {"fingerprint": server["host_key_fingerprint"]})
    return server


def customer_api(live_server: Any, staff: Api, handle: str) -> Api:
    """A customer account with a login, created through the API; returns the customer's client."""
    from tests.factories import PASSWORD

    account = staff.ok(
        "POST",
        "/api/accounts/",
        {
            "handle": handle,
            "name": f"{handle.title()} Ltd",
            "contacts": [{"name": "Ops", "email": f"ops@{handle}-elsewhere.org", "usages": ["emergency"]}],
        },
    )
    staff.ok("POST", f"/api/accounts/{account['id']}/users/", {"username": f"{handle}-customer", "password": PASSWORD})
    return Api(live_server.url).login(f"{handle}-customer", PASSWORD)


__all__ = ["Api", "customer_api", "dig", "eventually", "register_server", "settings", "staff_api"]
