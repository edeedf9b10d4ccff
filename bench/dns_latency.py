#!/usr/bin/env python3
"""DNS change-to-applied latency, targeted vs untargeted, on a real name server holding N zones.

Measures, in one run on this machine:
  - targeted: one record changed through the REST API (real HTTP to `manage.py runserver`) until the panel
    reports it applied (a real `run_huey` worker, a real test server over SSH): p50 and p95 over --changes;
  - untargeted: the same kind of change applied by a full run of the DNS playbook over every zone
    (`manage.py converge`), median over --full-runs;
and prints both and their ratio. Goals: p50 <= 2 s, targeted >= 5x faster than untargeted.

    .venv/bin/python bench/dns_latency.py [--zones 200] [--changes 20] [--full-runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import Panel, percentile

SETUP = """
from panel.accounts.services import account_create, user_create, token_create
from panel.dns.services import record_create, zone_create
account = account_create(handle="bench", name="Bench", actor=None,
                         contacts=[dict(name="B", email="b@bench-elsewhere.org", usages=["emergency"])])
user = user_create(username="bench", password="bench-password-1", account=account, actor=None)
for i in range({zones}):
    zone, _ = zone_create(account=account, name=f"zone{{i:04d}}.example", actor=None)
    record_create(zone=zone, name="www", type="A", value="192.0.2.1", actor=None)
    record_create(zone=zone, name="mail", type="A", value="192.0.2.2", actor=None)
    record_create(zone=zone, name="@", type="MX", value="10 mail", actor=None)
print("KEY", token_create(user=user, name="bench", actor=None)[1])
"""

CHANGE_DIRECTLY = """
from panel.dns.models import Record
from panel.dns.services import record_update
record_update(record=Record.objects.get(zone__name="zone0000.example", name="www"), value="{value}", actor=None)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zones", type=int, default=200)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--full-runs", type=int, default=3)
    args = parser.parse_args()

    with Panel("baton-bench-ns1", ["dns-primary"], [53]) as panel:
        started = time.monotonic()
        key = panel.shell(SETUP.format(zones=args.zones)).split()[-1]
        print(f"setup: {args.zones} zones in the panel in {time.monotonic() - started:.1f} s", flush=True)
        started = time.monotonic()
        panel.manage("converge", panel.host.name, "dns")
        print(f"first full converge of {args.zones} zones: {time.monotonic() - started:.1f} s", flush=True)

        panel.start_processes()
        record_id = panel.api(key, "GET", "/api/records/?name=www&ordering=created_at&page_size=1")["results"][0]["id"]
        latencies = []
        for i in range(args.changes):
            started = time.monotonic()
            panel.api(key, "PATCH", f"/api/records/{record_id}/", {"value": f"192.0.2.{100 + i}"})
            while panel.api(key, "GET", f"/api/records/{record_id}/")["apply_state"] != "applied":
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
        panel.stop_processes()  # the untargeted runs below go through manage.py converge

        full = []
        for i in range(args.full_runs):
            panel.shell(CHANGE_DIRECTLY.format(value=f"192.0.2.{200 + i}"))
            started = time.monotonic()
            panel.manage("converge", panel.host.name, "dns")
            full.append(time.monotonic() - started)
        full_median = statistics.median(full)
        print(f"untargeted full run over {args.zones} zones, {args.full_runs} runs: median {full_median:.2f} s")
        print(f"ratio untargeted / targeted p50: {full_median / p50:.1f}x (goal >= 5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
