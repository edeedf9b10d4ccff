#!/usr/bin/env python3
"""API list endpoints at scale, through real HTTP with an API token, on a throwaway panel (no test server, no
worker: lists only read the database):

  * one customer with --objects of every kind it lists (contacts, tokens, zones, records, mail domains,
    mailboxes, addresses, autoresponses, orders, invoices, payment sources) and --objects change sets;
  * staff looking at --history runs and change sets (the customer's change sets are among them).

For each endpoint: p50 and p95 over --samples requests of the first page at the default page size (50), of the
first page at the largest page size (500), and of a page deep in the list (90% of the way down, default size).
Goal: p95 <= 50 ms per page. The query counts are pinned by tests/api/test_query_counts.py.

    .venv/bin/python bench/api_bench.py [--objects 10000] [--history 100000] [--samples 20] [--postgres] [--runserver]

--postgres runs on a scratch database of the local PostgreSQL (scripts/postgres), dropped afterwards; by default
the panel runs on SQLite like the other benchmarks. The panel is served by one single-threaded WSGI process that
keeps its database connection (--runserver: Django's development server, a new thread and connection per request).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from common import REPO, Panel, percentile

FILL = """
import time
from django.utils import timezone
from panel.accounts.services import account_create, token_create, user_create
from panel.accounts.models import User
from panel.servers.models import Placement, Server
from tests.factories import host_key
from tests.factories.bulk import fill_customer, fill_history
started = time.monotonic()
now = timezone.now()
dns = Server.objects.create(name="ns1", address="127.0.0.1", roles=["dns-primary"], host_key=host_key(1),
                            host_key_confirmed_at=now)
mail = Server.objects.create(name="mx1", address="127.0.0.1", roles=["mail"], host_key=host_key(2),
                             host_key_confirmed_at=now)
Placement.objects.create(role="dns-primary", server=dns)
Placement.objects.create(role="mail", server=mail)
account = account_create(handle="bench", name="Bench", actor=None,
                         contacts=[dict(name="B", email="b@bench-elsewhere.org", usages=["emergency"])])
user = user_create(username="bench", password="bench-password-1", account=account, actor=None)
staff = User.objects.create_user(username="benchstaff", password="bench-password-1", is_staff=True)
fill_customer(account, user, count={objects}, dns_server=dns, mail_server=mail)
fill_history(server=dns, count={history}, account=account, every=max(1, {history} // max(1, {objects})))
from django.db import connection
if connection.vendor == "postgresql":  # statistics and visibility map, as autovacuum keeps them on a live database
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
print("FILLED", round(time.monotonic() - started, 1))
print("KEY", token_create(user=user, name="bench", actor=None)[1])
print("STAFFKEY", token_create(user=staff, name="bench", actor=None)[1])
"""
CUSTOMER = [
    "/api/contacts/",
    "/api/tokens/",
    "/api/zones/",
    "/api/records/",
    "/api/mail/domains/",
    "/api/mail/mailboxes/",
    "/api/mail/addresses/",
    "/api/mail/autoresponses/",
    "/api/changesets/",
    "/api/orders/",
    "/api/invoices/",
    "/api/payment-sources/",
]
STAFF = ["/api/runs/", "/api/changesets/"]
# One process serving one request at a time on one thread, so its database connection lives on between requests
# (CONN_MAX_AGE), as under a production WSGI server. runserver starts a thread, hence a new connection, per
# request: cheap on SQLite, but a PostgreSQL connection costs more than most pages (--runserver to compare).
SERVE = """
import django, sys
django.setup()
from django.core.wsgi import get_wsgi_application
from wsgiref.simple_server import WSGIRequestHandler, make_server
class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass
make_server("127.0.0.1", int(sys.argv[1]), get_wsgi_application(), handler_class=Quiet).serve_forever()
"""


def timed_get(base: str, key: str, path: str) -> tuple[float, bytes]:
    request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Token {key}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return time.perf_counter() - started, body


def measure(base: str, key: str, path: str, samples: int) -> tuple[float, float, int]:
    timed_get(base, key, path)  # warm: the first request of a token also records its use
    times = []
    size = 0
    for _ in range(samples):
        elapsed, body = timed_get(base, key, path)
        times.append(elapsed * 1000)
        size = len(body)
    return percentile(times, 0.5), percentile(times, 0.95), size


def count_of(panel: Panel, key: str, path: str) -> int:
    return int(panel.api(key, "GET", f"{path}?page_size=1")["count"])


@contextmanager
def scratch_postgres() -> Iterator[str]:
    import psycopg

    url = subprocess.run([str(REPO / "scripts" / "postgres")], capture_output=True, text=True, check=True).stdout
    url = url.strip()
    name = f"baton_apibench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def serve(panel: Panel) -> None:
    log = open(panel.tmp / "servers.log", "wb")  # noqa: SIM115 - lives as long as the process
    panel.processes.append(
        subprocess.Popen(
            [sys.executable, "-c", SERVE, str(panel.port)], cwd=REPO, env=panel.env, stdout=log, stderr=log
        )
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{panel.base}/api/schema/", timeout=5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def run(args: argparse.Namespace, database_url: str | None) -> int:
    failures = 0
    with Panel(None, [], [], database_url=database_url) as panel:
        output = panel.shell(FILL.format(objects=args.objects, history=args.history))
        values = dict(line.split(" ", 1) for line in output.splitlines() if line.startswith(("FILLED", "KEY", "STAFF")))
        print(
            f"filled {args.objects} objects of each kind for one customer and {args.history} runs and change sets "
            f"in {values['FILLED']} s ({'PostgreSQL' if database_url else 'SQLite'})",
            flush=True,
        )
        if args.runserver:
            panel.start_processes(worker=False)
        else:
            serve(panel)
        print(
            f"{'who':8} {'endpoint':26} {'rows':>7}  {'page 1 (50)':>17}  {'page_size=500':>17}  {'deep page (50)':>17}"
        )
        print(f"{'':8} {'':26} {'':>7}  {'p50 / p95 ms':>17}  {'p50 / p95 ms':>17}  {'p50 / p95 ms':>17}")
        for who, key, paths in (("customer", values["KEY"], CUSTOMER), ("staff", values["STAFFKEY"], STAFF)):
            for path in paths:
                rows = count_of(panel, key, path)
                deep = max(1, int(rows / 50 * 0.9))
                cells = []
                for query in ("", "?page_size=500", f"?page={deep}"):
                    p50, p95, _ = measure(panel.base, key, f"{path}{query}", args.samples)
                    mark = "" if p95 <= 50 or query == "?page_size=500" else " !"
                    failures += bool(mark)
                    cells.append(f"{p50:6.1f} / {p95:6.1f}{mark:2}")
                print(f"{who:8} {path:26} {rows:>7}  {cells[0]:>17}  {cells[1]:>17}  {cells[2]:>17}", flush=True)
    print(f"goal p95 <= 50 ms at the default page size (the 500-row page is shown, not judged): {failures} over")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=10000)
    parser.add_argument("--history", type=int, default=100000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--postgres", action="store_true", help="run on a scratch PostgreSQL database")
    parser.add_argument(
        "--runserver", action="store_true", help="serve with manage.py runserver (a thread per request)"
    )
    args = parser.parse_args()
    if args.postgres:
        with scratch_postgres() as url:
            return run(args, url)
    return run(args, None)


if __name__ == "__main__":
    raise SystemExit(main())
