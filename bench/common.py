"""What the benchmarks share: a throwaway panel (SQLite, its own var dir) with a real web server and a real
Huey worker in subprocesses, driven over HTTP like any API client, against a real test server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests import hosts  # noqa: E402

REGISTER_SERVER = """
from panel.servers.services import placement_set, server_register, server_confirm_host_key
from panel.servers.hostkeys import fingerprint
host = {host}
server = server_register(name=host["name"], address="127.0.0.1", ssh_port=host["ssh_port"], roles={roles},
                         service_address=host["address"], host_key=host["host_key"], actor=None)
server_confirm_host_key(server=server, fingerprint=fingerprint(host["host_key"]), actor=None)
for role in {roles}:
    placement_set(role=role, server=server, actor=None)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Panel:
    """A panel on a temporary SQLite database (or `database_url`) with one test server of the given roles, or
    none when `server_name` is None (for benchmarks of the API alone)."""

    def __init__(
        self, server_name: str | None, roles: list[str], ports: list[int], database_url: str | None = None
    ) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="baton-bench-"))
        self.host = hosts.start(server_name, ports=ports) if server_name is not None else None
        self.roles = roles
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "panel.settings.dev",
            "BATON_VAR_DIR": str(self.tmp),
            "DATABASE_URL": database_url or f"sqlite:///{self.tmp}/bench.sqlite3",
            "HUEY_SQLITE": str(self.tmp / "huey.db"),
            "LOG_LEVEL": "WARNING",
            # Benchmarks use names no zone of theirs holds, and never ask the outside world's DNS for a proof.
            "BATON_PROVE_EXTERNAL_NAMES": "0",
        }
        if self.host is not None:
            self.env["BATON_SSH_KEY"] = self.host.ssh_key
        self.processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Panel:
        self.manage("migrate", "-v0")
        if self.host is not None:
            self.shell(REGISTER_SERVER.format(host=json.dumps(self.host.__dict__), roles=json.dumps(self.roles)))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if error is not None and (self.tmp / "servers.log").exists():
            print("".join((self.tmp / "servers.log").read_text().splitlines(keepends=True)[-40:]), file=sys.stderr)
        self.stop_processes()
        if self.host is not None:
            hosts.stop(self.host.name)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env=self.env, capture_output=True, text=True
        )
        if result.returncode:
            output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            raise RuntimeError(f"manage.py {' '.join(args[:2])} failed:\n{output}")
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def start_processes(self, worker: bool = True) -> None:
        log = open(self.tmp / "servers.log", "wb")  # noqa: SIM115 - lives as long as the processes
        commands = [["runserver", "--noreload", f"127.0.0.1:{self.port}"]]
        if worker:
            commands.append(["run_huey", "--workers", "2"])
        for command in commands:
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", *command],
                    cwd=REPO,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/api/schema/", timeout=5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def stop_processes(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.processes.clear()

    def api(self, key: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            data=json.dumps(body).encode() if body else None,
            headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return json.loads(raw) if raw else None
