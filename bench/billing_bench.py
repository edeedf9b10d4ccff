#!/usr/bin/env python3
"""Billing figures on a throwaway SQLite panel, in one run:

  1. the monthly billing run (`billing_run(commit=True)`) over --orders orders across --accounts accounts:
     time and the run's peak memory, measured in a fresh process with DEBUG off as deployed (with DEBUG,
     Django would keep the SQL of its last 9,000 queries); the same at a tenth of the size, so the two
     peaks show whether memory grows with the number of orders;
  2. invoice PDFs per second (weasyprint), over --pdfs issued invoices: through the Huey task that renders,
     stores and mails each one, run by a real `run_huey` with --workers worker processes (one per core:
     weasyprint is CPU-bound); and, for comparison, rendered one after another in one process. The clock
     runs from queueing the tasks to the last invoice mailed, so it includes the idle workers' delay in
     picking up the first tasks (up to a quarter of a second): 30 invoices are only 3 s of work for two
     workers, --pdfs 100 gives a steadier figure.
Goals: 100,000 orders across 10,000 accounts in <= 60 s, memory flat in the number of orders; >= 10 PDFs/s.

    .venv/bin/python bench/billing_bench.py [--accounts 10000] [--orders 100000] [--pdfs 30] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

FILL = """
from datetime import date
from django.contrib.contenttypes.models import ContentType
from panel.accounts.models import Account, Contact, User
from panel.orders.models import MetricStorage, Order
from panel.orders.services import service_create
staff = User.objects.create_user(username="bench-staff", password="bench-staff-pass-1", is_staff=True)
accounts = Account.objects.bulk_create(
    Account(handle=f"acct{{i:06d}}", name=f"Account {{i}}") for i in range({accounts})
)
Contact.objects.bulk_create(
    Contact(account=a, name="Billing", email=f"billing{{a.pk}}@bench-elsewhere.org", is_billing=True, is_emergency=True)
    for a in accounts
)
service = service_create(description="Hosting unit", content_type="accounts.account", nominal_price="3.00",
                         tax_rate="21", billing_point="fixed_day", actor=staff)
kind = ContentType.objects.get_for_model(Account)
per_account = {orders} // len(accounts)
orders = Order.objects.bulk_create(
    Order(account=a, service=service, content_type=kind, object_id=a.pk * 1000 + n, description=f"unit {{n}}",
          registered_on=date(2026, 9, 1 + n % 28))
    for a in accounts for n in range(per_account)
)
MetricStorage.objects.bulk_create(
    MetricStorage(order=o, value=1, created_on=o.registered_on, updated_on=o.registered_on) for o in orders
)
print("FILLED", len(accounts), len(orders))
"""

RUN = """
import resource, time
from datetime import date
from django.conf import settings
from panel.accounts.models import User
from billing.services import billing_run
# As deployed: with DEBUG, Django keeps the SQL of up to 9,000 queries, megabytes of bulk inserts that no
# production run holds.
settings.DEBUG = False
staff = User.objects.get(username="bench-staff")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
summary = billing_run(on=date(2026, 11, 1), actor=staff, commit=True)
elapsed = time.monotonic() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("RUN", round(elapsed, 1), summary.invoices, round(before / 1024), round(peak / 1024))
"""

TASKS = """
import time
from datetime import date
from django.db import transaction
from panel.accounts.models import User
from billing.models import Invoice
from billing.services import invoice_issue
staff = User.objects.get(username="bench-staff")

def issue_and_wait(count):
    drafts = list(Invoice.objects.filter(number__isnull=True).order_by("pk")[:count])
    with transaction.atomic():  # the render tasks are queued together, when this commits
        issued = [invoice_issue(invoice=draft, actor=staff, on=date(2026, 11, 1)).pk for draft in drafts]
    started = time.monotonic()
    while Invoice.objects.filter(pk__in=issued, mailed_at__isnull=True).exists():
        if time.monotonic() - started > 600:
            raise SystemExit("the render tasks did not finish in 10 minutes")
        time.sleep(0.02)
    return len(issued), time.monotonic() - started

issue_and_wait(3 * {workers})  # each worker's first PDF loads weasyprint and the fonts: not counted
count, elapsed = issue_and_wait({count})
print("TASKS", count, round(count / elapsed, 1))
"""

PDFS = """
import time
from datetime import date
from panel.accounts.models import User
from billing.models import Invoice
from billing.pdf import invoice_pdf
from billing.services import invoice_issue
staff = User.objects.get(username="bench-staff")
drafts = list(Invoice.objects.filter(number__isnull=True).order_by("pk")[:{count}])
issued = [invoice_issue(invoice=d, actor=staff, on=date(2026, 11, 1)) for d in drafts]
invoice_pdf(issued[0])  # the first rendering loads fonts: not counted
started = time.monotonic()
for invoice in issued:
    invoice_pdf(invoice)
elapsed = time.monotonic() - started
print("PDFS", len(issued), round(len(issued) / elapsed, 1))
"""


def shell(env: dict[str, str], code: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(result.stdout + result.stderr)
    return result.stdout


def through_tasks(env: dict[str, str], pdfs: int, workers: int) -> str:
    """PDFs per second through the render task, run by a Huey consumer with `workers` processes."""
    consumer_env = {**env, "HUEY_WORKER_TYPE": "process", "HUEY_WORKERS": str(workers)}
    log = Path(env["BATON_VAR_DIR"]) / "huey.log"  # the dev settings also print every mail sent there
    with log.open("wb") as output:
        consumer = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--no-periodic"],
            cwd=REPO,
            env=consumer_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            count, rate = shell(env, TASKS.format(count=pdfs, workers=workers)).split("TASKS", 1)[1].split()
        except RuntimeError as error:
            raise RuntimeError(f"{error}\nrun_huey:\n{log.read_text(errors='replace')[-3000:]}") from None
        finally:
            consumer.terminate()
            consumer.wait(timeout=60)
    return (
        f"invoice PDFs through the Huey task (render, store, mail), {workers} worker processes: {rate} per second "
        f"over {count} invoices (goal >= 10)"
    )


def measure(accounts: int, orders: int, pdfs: int, workers: int) -> list[str]:
    tmp = Path(tempfile.mkdtemp(prefix="baton-billing-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "panel.settings.dev",
        "BATON_VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
        "HUEY_SQLITE": str(tmp / "huey.db"),
        "LOG_LEVEL": "ERROR",
    }
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)
        shell(env, FILL.format(accounts=accounts, orders=orders))
        seconds, bills, before, peak = shell(env, RUN).split("RUN", 1)[1].split()
        lines = [
            f"billing run: {orders} orders across {accounts} accounts in {seconds} s, {bills} invoices; "
            f"peak memory {peak} MB ({before} MB before the run)"
        ]
        if pdfs:
            lines.append(through_tasks(env, pdfs, workers))
            count, rate = shell(env, PDFS.format(count=pdfs)).split("PDFS", 1)[1].split()
            lines.append(f"invoice PDFs rendered one after another in one process: {rate} per second over {count}")
        return lines
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10000)
    parser.add_argument("--orders", type=int, default=100000)
    parser.add_argument("--pdfs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="Huey worker processes")
    args = parser.parse_args()
    for line in measure(args.accounts // 10, args.orders // 10, 0, args.workers):
        print(line, flush=True)
    for line in measure(args.accounts, args.orders, args.pdfs, args.workers):
        print(line + ("" if "PDF" in line else " (goal <= 60 s, memory flat in the number of orders)"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
