#!/usr/bin/env python3
"""DNS change-to-applied latency, targeted vs untargeted, on a real name server holding N zones.

Measures, in one run on this machine:
  - targeted: one record changed through the REST API (real HTTP to `manage.py runserver`) until the panel
    reports it applied (a real `run_huey` worker, a real test server over SSH): p50 and p95 over --changes;
  - untargeted: the same kind of change applied by a full run of the DNS playbook over every zone
    (`manage.py converge`), median over --full-runs;
and prints both and their ratio. Goals (docs/provisioning.md): p50 <= 2 s, targeted >= 5x faster.

    .venv/bin/python bench/dns_latency.py [--zones 200] [--changes 20] [--full-runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests import hosts  # noqa: E402

SETUP = """
from panel.accounts.services import account_create, user_create, token_create
from panel.dns.services import record_create, zone_create
from panel.servers.services import placement_set, server_register, server_confirm_host_key
from panel.servers.hostkeys import fingerprint
host = {host}
server = server_register(name=host["name"], address="127.0.0.1", ssh_port=host["ssh_port"], roles=["dns-primary"],
                         service_address=host["address"], host_key=host["host_key"], actor=None)
server_confirm_host_key(server=server, fingerprint=fingerprint(host["host_key"]), actor=None)
placement_set(role="dns-primary", server=server, actor=None)
account = account_create(handle="bench", name="Bench", actor=None,
                         contacts=[dict(name="B", email="b@bench-elsewhere.org", usages=["emergency"])])
user = user_create(username="bench", password="bench-password-1", account=account, actor=None)
for i in range({zones}):
    zone, _ = zone_create(account=account, name=f"zone{{i:04d}}.example", actor=None)
    record_create(zone=zone, name="www", type="A", value="192.0.2.1", actor=None)
    record_create(zone=zone, name="@", type="MX", value="10 mail", actor=None)
_, key = token_create(user=user, name="bench", actor=None)
print("KEY", key)
"""

CHANGE_DIRECTLY = """
from panel.dns.models import Record
from panel.dns.services import record_update
record = Record.objects.get(zone__name="zone0000.example", name="www")
record_update(record=record, value="{value}", actor=None)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str, code: str | None = None) -> str:
    command = [sys.executable, "manage.py", *args] + (["-c", code] if code else [])
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def api(base: str, key: str, method: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zones", type=int, default=200)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--full-runs", type=int, default=3)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="baton-bench-"))
    host = hosts.start("baton-bench-ns1", ports=[53])
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "panel.settings.dev",
        "BATON_VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
        "HUEY_SQLITE": str(tmp / "huey.sqlite3"),
        "BATON_SSH_KEY": host.ssh_key,
        "BATON_PROVISIONING_DEBOUNCE": "0.05",
        "LOG_LEVEL": "WARNING",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        manage(env, "migrate", "-v0")
        started = time.monotonic()
        key = manage(env, "shell", code=SETUP.format(host=json.dumps(host.__dict__), zones=args.zones)).split()[-1]
        print(f"setup: {args.zones} zones in the panel in {time.monotonic() - started:.1f} s", flush=True)
        started = time.monotonic()
        manage(env, "converge", host.name, "dns")
        print(f"first full converge of {args.zones} zones: {time.monotonic() - started:.1f} s", flush=True)

        log = open(tmp / "servers.log", "wb")  # noqa: SIM115 - lives as long as the processes
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "run_huey", "--workers", "2"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                records = api(base, key, "GET", "/api/records/?name=www&zone__name=&page_size=1&ordering=created_at")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        record_id = records["results"][0]["id"]  # type: ignore[index]

        latencies = []
        for i in range(args.changes):
            started = time.monotonic()
            api(base, key, "PATCH", f"/api/records/{record_id}/", {"value": f"192.0.2.{100 + i}"})
            while api(base, key, "GET", f"/api/records/{record_id}/")["apply_state"] != "applied":
                if time.monotonic() - started > 120:
                    raise TimeoutError("a change did not apply within 120 s")
                time.sleep(0.05)
            latencies.append(time.monotonic() - started)
        p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
        print(
            f"targeted change -> applied, {args.changes} changes: p50 {p50:.2f} s, p95 {p95:.2f} s "
            f"(goal p50 <= 2 s, p95 <= 5 s)",
            flush=True,
        )
        for process in processes[1:]:
            process.terminate()  # the worker: the untargeted runs below go through manage.py converge
            process.wait(timeout=60)

        full = []
        for i in range(args.full_runs):
            manage(env, "shell", code=CHANGE_DIRECTLY.format(value=f"192.0.2.{200 + i}"))
            started = time.monotonic()
            manage(env, "converge", host.name, "dns")
            full.append(time.monotonic() - started)

        full_median = statistics.median(full)
        print(f"untargeted full run over {args.zones} zones, {args.full_runs} runs: median {full_median:.2f} s")
        print(f"ratio untargeted / targeted p50: {full_median / p50:.1f}x (goal >= 5x)")
        return 0
    except Exception:
        log_file = tmp / "servers.log"
        if log_file.exists():
            print("".join(log_file.read_text().splitlines(keepends=True)[-40:]), file=sys.stderr)
        raise
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        hosts.stop(host.name)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
