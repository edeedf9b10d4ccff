#!/usr/bin/env python3
"""Billing figures on a throwaway SQLite panel, in one run:

  1. the monthly billing run (`billing_run(commit=True)`) over --orders orders across --accounts accounts:
     time and the run's peak memory, measured in a fresh process; the same at a tenth of the size, so the
     two peaks show whether memory grows with the number of orders;
  2. invoice PDFs rendered per second (weasyprint), over --pdfs issued invoices.
Goals: 100,000 orders across 10,000 accounts in <= 60 s, memory flat in the number of orders; >= 10 PDFs/s.

    .venv/bin/python bench/billing_bench.py [--accounts 10000] [--orders 100000] [--pdfs 30]
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
from panel.accounts.models import User
from billing.services import billing_run
staff = User.objects.get(username="bench-staff")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
bills = billing_run(on=date(2026, 11, 1), actor=staff, commit=True)
elapsed = time.monotonic() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("RUN", round(elapsed, 1), len(bills), round(before / 1024), round(peak / 1024))
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


def measure(accounts: int, orders: int, pdfs: int) -> list[str]:
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
            count, rate = shell(env, PDFS.format(count=pdfs)).split("PDFS", 1)[1].split()
            lines.append(f"invoice PDFs: {rate} per second over {count} invoices (goal >= 10)")
        return lines
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10000)
    parser.add_argument("--orders", type=int, default=100000)
    parser.add_argument("--pdfs", type=int, default=30)
    args = parser.parse_args()
    for line in measure(args.accounts // 10, args.orders // 10, 0):
        print(line, flush=True)
    for line in measure(args.accounts, args.orders, args.pdfs):
        print(line + ("" if "PDF" in line else " (goal <= 60 s, memory flat in the number of orders)"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
