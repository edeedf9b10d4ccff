"""The portal in Debian's chromium against a real test server (DNS primary, mail and web) and a real worker: a
customer on a phone logs in, adds a zone and a record, a mailbox and a website through the portal's forms, and
watches each turn applied on the page it is on, without reloading it (htmx polls the state fragment while pending
and stops once it is final). The record is then asked over DNS and the site over HTTP, once each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from panel.dns.models import Record, Zone
from panel.mail.models import Mailbox
from panel.web.models import Website
from tests import hosts
from tests.browser.conftest import Browser, browser, log_in  # noqa: F401 - the browser fixture
from tests.e2e.conftest import Worker, customer_api, dig, register_server, served_now, staff_api
from tests.e2e.test_websites_e2e import get
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
FIRST_RUNS = 300_000  # ms: the first run of each role on a fresh server installs and configures it


@pytest.fixture(scope="module")
def portal_host() -> Iterator[hosts.TestHost]:
    name = "baton-e2e-portal"
    try:
        yield hosts.start(name, ports=[53, 80])
    finally:
        hosts.stop(name)


def _applied(page: Any, kind: str, pk: int) -> None:
    """The object's state turns applied on the page as it is: no reload (the marker set on the loaded page stays)."""
    page.evaluate("window.batonLoaded = true")
    page.locator(f"#state-{kind}-{pk}.state-applied").wait_for(timeout=FIRST_RUNS)
    assert page.evaluate("window.batonLoaded === true"), "the page was reloaded"


def test_a_customer_watches_a_record_a_mailbox_and_a_site_turn_applied_without_reloading(
    live_server: Any,
    start_worker: Callable[[], Worker],
    portal_host: hosts.TestHost,
    browser: Browser,  # noqa: F811
) -> None:
    start_worker()
    staff = staff_api(live_server, "portal-staff")
    server = register_server(staff, portal_host, ["dns-primary", "mail", "web"])
    for role in ("dns-primary", "mail", "web"):
        staff.ok("POST", "/api/placements/", {"role": role, "server": server["id"]})
    customer_api(live_server, staff, "portalco")
    page = browser.page("phone")
    log_in(page, live_server.url, "portalco-customer", PASSWORD)

    page.goto(f"{live_server.url}/dns/new/")
    page.get_by_label("Domain").fill("portal.example")
    page.get_by_role("button", name="Add the zone").click()
    zone = Zone.objects.get(name="portal.example")
    page.wait_for_url(f"{live_server.url}/dns/{zone.pk}/")
    page.get_by_label("Name").fill("www")
    page.get_by_label("Type").select_option("A")
    page.get_by_label("Value").fill("192.0.2.10")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the record").click()
    record = Record.objects.get(zone=zone, name="www", type="A")
    assert page.locator(f"#state-record-{record.pk}.state-pending").is_visible()
    _applied(page, "record", record.pk)
    served_now(lambda: dig(portal_host, "www.portal.example", "A"), ["192.0.2.10"], "the record after applied")

    page.goto(f"{live_server.url}/mail/")
    page.locator("#id_mailbox-name").fill("sales")
    page.locator("#id_mailbox-password").fill("a-long-mailbox-password-7")
    page.get_by_role("button", name="Add the mailbox").click()
    box = Mailbox.objects.get(name="sales")
    page.wait_for_url(f"{live_server.url}/mail/mailboxes/{box.pk}/")
    _applied(page, "mailbox", box.pk)

    page.goto(f"{live_server.url}/websites/")
    page.get_by_label("Name").fill("www")
    page.get_by_label("Domains").fill("www.portal.example")
    page.get_by_role("button", name="Add the website").click()
    site = Website.objects.get(name="www", account__handle="portalco")
    page.wait_for_url(f"{live_server.url}/websites/{site.pk}/")
    _applied(page, "website", site.pk)
    served_now(lambda: get(portal_host, "www.portal.example", "/")[0], 403, "the new site (its docroot is empty)")
