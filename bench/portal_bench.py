#!/usr/bin/env python3
"""The customer portal's pages with a customer of 100 of each service and 100 issued invoices (more than 12
months' worth), served by the panel (runserver, SQLite) on loopback:
  - each page asked --requests times by a logged-in client: server time (request to last byte over loopback)
    p50 and p95;
  - apply state visible: a pending zone's page open in Debian's chromium, the zone marked applied in the database
    (what a run's end does), the time until the page shows it applied, without a reload (htmx polls every second).
Goal of issue 29: pages p95 <= 150 ms; state visible <= 1.5 s after the run finishes.

    .venv/bin/python bench/portal_bench.py [--requests 50] [--trials 10] [--screenshots docs/]

--screenshots also saves the overview at a phone and a desktop size (docs/portal-overview-*.png).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import time
import urllib.parse
import urllib.request

from common import Panel, percentile

FILL = """
from django.utils import timezone
from panel.accounts.services import account_create, contact_create, user_create
from panel.servers.models import Placement, Server
from tests.factories import host_key
from tests.factories.bulk import fill_customer
servers = {}
for name, role, port in [("ns1", "dns-primary", 2201), ("mx1", "mail", 2301), ("web1", "web", 2401)]:
    # Never reached: no worker runs here, and nothing listens on these loopback ports.
    servers[role] = Server.objects.create(name=name, address="127.0.0.1", ssh_port=port, roles=[role],
                                          host_key=host_key(port), host_key_confirmed_at=timezone.now())
    Placement.objects.create(role=role, server=servers[role])
account = account_create(handle="bench", name="Bench", actor=None,
                         contacts=[dict(name="B", email="b@bench-elsewhere.org", usages=["emergency", "billing"])])
user = user_create(username="bench", password="bench-password-1", account=account, actor=None)
fill_customer(account, user, count=100, dns_server=servers["dns-primary"], mail_server=servers["mail"])
from panel.dns.models import Zone
print("ZONE", Zone.objects.filter(account=account).order_by("pk").first().pk)
"""
PAGES = ["/", "/dns/", "/mail/", "/websites/", "/users/", "/invoices/", "/account/"]


def logged_in(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    body = urllib.parse.urlencode(
        {"username": "bench", "password": "bench-password-1", "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    request = urllib.request.Request(f"{base}/login/", data=body, headers={"Referer": f"{base}/login/"})
    opener.open(request).read()
    return opener


def page_times(opener: urllib.request.OpenerDirector, base: str, path: str, requests: int) -> list[float]:
    opener.open(f"{base}{path}").read()  # warm: templates compiled, session cached
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        with opener.open(f"{base}{path}") as response:
            response.read()
            assert response.status == 200, path
        times.append(time.perf_counter() - started)
    return times


def state_visible(panel: Panel, zone: int, trials: int, screenshots: str = "") -> list[float]:
    """Open the zone's page while it is pending, mark it applied as a run's end does, time until it shows."""
    shared = ("DJANGO", "DATABASE", "BATON", "HUEY")
    os.environ.update({key: value for key, value in panel.env.items() if key.startswith(shared)})
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    from panel.dns.models import Zone
    from tests.browser.conftest import CHROMIUM, QUIET

    seen = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=QUIET)
        page = browser.new_page()
        page.goto(f"{panel.base}/login/")
        page.get_by_label("Username").fill("bench")
        page.get_by_label("Password").fill("bench-password-1")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{panel.base}/")
        if screenshots:
            for name, size in (("phone", {"width": 390, "height": 844}), ("desktop", {"width": 1280, "height": 800})):
                page.set_viewport_size(size)
                page.goto(f"{panel.base}/")
                page.screenshot(path=f"{screenshots}/portal-overview-{name}.png", full_page=False)
            page.set_viewport_size({"width": 1280, "height": 800})
        for _ in range(trials):
            Zone.objects.filter(pk=zone).update(apply_state="pending")
            page.goto(f"{panel.base}/dns/{zone}/")
            page.locator(f"#state-zone-{zone}.state-pending").wait_for()
            time.sleep(random.uniform(0, 1))  # the run ends anywhere in the page's polling second
            started = time.perf_counter()
            Zone.objects.filter(pk=zone).update(apply_state="applied")
            page.locator(f"#state-zone-{zone}.state-applied").wait_for(timeout=10_000)
            seen.append(time.perf_counter() - started)
        browser.close()
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--screenshots", default="", help="a directory for the overview's screenshots")
    args = parser.parse_args()
    with Panel(None, [], []) as panel:
        zone = int(panel.shell(FILL).split("ZONE")[-1].split()[0])
        panel.start_processes(worker=False)
        opener = logged_in(panel.base)
        for path in PAGES:
            times = page_times(opener, panel.base, path, args.requests)
            print(f"{path:<12} p50 {percentile(times, 0.5) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms "
                  f"({args.requests} requests)", flush=True)  # fmt: skip
        seen = state_visible(panel, zone, args.trials, args.screenshots)
        figures = f"p50 {percentile(seen, 0.5):.2f} s, p95 {percentile(seen, 0.95):.2f} s, max {max(seen):.2f} s"
        print(f"apply state visible after the run's end: {figures} ({args.trials} trials)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
