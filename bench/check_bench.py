#!/usr/bin/env python3
"""Plan and drift checks of one service on one host, on a real server playing DNS and mail, in one run:
the check as it runs now (the `<role>:files` tasks: every managed file, configuration and data) against the
check of every tag (what plan and drift ran before). Goal: <= 3 s per service.

    .venv/bin/python bench/check_bench.py [--zones 200] [--mailboxes 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import time

from common import Panel

FILL = """
from panel.accounts.services import account_create
from panel.dns.models import Record, Zone
from panel.mail.models import Address, Mailbox, MailDomain
from panel.mail.passwords import dovecot_hash
from panel.mail.services import mail_domain_create
from panel.servers.models import Server
account = account_create(handle="bench", name="Bench", actor=None,
                         contacts=[dict(name="B", email="b@bench-elsewhere.org", usages=["emergency"])])
server = Server.objects.get()
zones = Zone.objects.bulk_create(Zone(account=account, name=f"zone{{i:04d}}.example", primary=server,
                                      serial=2026010100, soa_mname="ns1.baton.invalid.",
                                      soa_rname="hostmaster.baton.invalid.") for i in range({zones}))
Record.objects.bulk_create(Record(zone=z, name=name, type=rtype, value=value) for z in zones
                           for name, rtype, value in (("@", "NS", "ns1.baton.invalid."), ("www", "A", "192.0.2.1")))
mail_domain_create(account=account, name="bench.example", actor=None)
domain, hashed = MailDomain.objects.get(), dovecot_hash("bench mailbox password")
boxes = Mailbox.objects.bulk_create(Mailbox(name=f"box{{i:05d}}", account=account, server=server,
                                            password_hash=hashed, spam="junk" if i % 10 == 0 else "off")
                                    for i in range({mailboxes}))
addresses = Address.objects.bulk_create(Address(domain=domain, local_part=box.name) for box in boxes)
Address.mailboxes.through.objects.bulk_create(Address.mailboxes.through(address_id=a.pk, mailbox_id=b.pk)
                                              for a, b in zip(addresses, boxes))
"""
CHECK = """
import dataclasses, json, statistics, time
from panel.provisioning import engine, registry
from panel.provisioning.choices import RunKind
from panel.servers.models import Server
server, figures = Server.objects.get(), {{}}
for service in ("dns", "mail"):
    spec = registry.get(service)
    for variant, tags in (("now", spec.check_tags), ("every tag", ())):
        registry.register(dataclasses.replace(spec, check_tags=tags))
        times, drift = [], []
        for _ in range({repeat}):
            started = time.monotonic()
            run = engine.check(server, service, kind=RunKind.DRIFT)
            times.append(time.monotonic() - started)
            drift.append((run.status, run.drift))
        figures[f"{{service}} ({{variant}})"] = (statistics.median(times), max(times), sorted(set(drift)))
        if variant == "now":
            slowest = sorted(run.events.all(), key=lambda e: -(e.duration or 0))[:6]
            figures[f"{{service}} slowest tasks"] = [(e.task, round(e.duration or 0, 2)) for e in slowest]
            figures[f"{{service}} ansible"] = run.duration
    registry.register(spec)
print("FIGURES", json.dumps(figures))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zones", type=int, default=200)
    parser.add_argument("--mailboxes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with Panel("baton-bench-check", ["dns-primary", "mail"], []) as panel:
        panel.shell(FILL.format(zones=args.zones, mailboxes=args.mailboxes))
        started = time.monotonic()
        for service in ("dns", "mail"):
            panel.manage("converge", panel.host.name, service)
        print(
            f"first converge of {args.zones} zones and {args.mailboxes} mailboxes: {time.monotonic() - started:.1f} s"
        )
        output = panel.shell(CHECK.format(repeat=args.repeat))
        figures = json.loads(output.split("FIGURES", 1)[1])
        print(f"drift check of one service on one host, {args.repeat} runs each (seconds, wall clock incl. ansible):")
        for name, value in figures.items():
            if isinstance(value, list) and value and isinstance(value[0], list) and isinstance(value[0][0], str):
                print(f"  {name}: " + ", ".join(f"{task} {seconds} s" for task, seconds in value))
            elif isinstance(value, (int, float)):
                print(f"  {name}: the last check's ansible-runner time {value:.2f} s")
            else:
                median, worst, states = value
                print(f"  {name:18} median {median:5.2f}  max {worst:5.2f}  status/drift {states}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
