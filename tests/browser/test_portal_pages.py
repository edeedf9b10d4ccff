"""The portal in a real browser (Debian's chromium driven by Playwright, never a downloaded one), at a phone
viewport (390x844) and a desktop one, against the live panel: every page passes axe-core (from the npm registry)
with no serious or critical violation and never scrolls sideways on the phone; a customer logs in and works by
keyboard alone; changes a mailbox password, uploads an SSH key, downloads an invoice's PDF, sees a failed
object's reason and retries it (htmx swaps the state in without a reload). The runs themselves are not made here
(no worker): tests/browser/test_portal_live.py watches objects turn applied against a real test server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from billing.delivery import invoice_pdf_store
from billing.services import invoice_create, invoice_issue, invoice_line_add
from panel.accounts.models import Account, User
from panel.accounts.services import contact_create
from panel.dns.models import Zone
from panel.dns.services import record_create, zone_create
from panel.mail.models import Mailbox
from panel.mail.services import address_create, mail_domain_create, mailbox_create
from panel.provisioning.models import ChangeSetItem
from panel.servers.models import Server
from panel.systemusers.models import SshKey
from panel.systemusers.services import system_user_create
from panel.web.services import website_create
from tests.browser.conftest import Browser, axe_violations, duplicate_ids, log_in, scrolls_sideways
from tests.factories import PASSWORD
from tests.sshkeys import key_pair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def services(
    monkeypatch: pytest.MonkeyPatch,
    account_a: Account,
    customer_a: User,
    staff: User,
    dns_servers: tuple[Server, Server],
    mail_server: Server,
    web_server: Server,
) -> Iterator[dict[str, Any]]:
    """One of each service of the customer (pending: nothing runs here), and an issued invoice with its PDF."""
    monkeypatch.setattr("panel.provisioning.tasks.schedule_processing", lambda *args, **kwargs: None)
    zone, _ = zone_create(account=account_a, name="shop.example", actor=customer_a)
    record, _ = record_create(zone=zone, name="www", type="A", value="192.0.2.7", actor=customer_a)
    domain, _ = mail_domain_create(account=account_a, name="shop.example", actor=customer_a)
    box, _ = mailbox_create(account=account_a, name="alice", password="a-long-mailbox-password-1", actor=customer_a)
    address_create(domain=domain, local_part="info", mailboxes=[box], actor=customer_a)
    site, _ = website_create(account=account_a, name="shop", domains=["shop.example"], actor=customer_a)
    user, _ = system_user_create(account=account_a, name="alice-deploy", actor=customer_a)
    contact_create(account=account_a, name="Accounts", email="accounts@alice-home.org", usages=["billing"], actor=None)
    invoice = invoice_create(account=account_a, kind="fee", actor=staff)
    invoice_line_add(invoice=invoice, description="Setup", quantity="1", unit_price="12.50", actor=staff)
    invoice = invoice_pdf_store(invoice=invoice_issue(invoice=invoice, actor=staff), actor=None)
    yield {"zone": zone, "record": record, "box": box, "site": site, "user": user, "invoice": invoice}


def _pages(objects: dict[str, Any]) -> list[str]:
    return [
        "/", "/dns/", f"/dns/{objects['zone'].pk}/", f"/dns/records/{objects['record'].pk}/edit/", "/dns/new/",
        "/mail/", f"/mail/mailboxes/{objects['box'].pk}/", "/mail/addresses/new/", "/websites/",
        f"/websites/{objects['site'].pk}/",
        "/users/", f"/users/{objects['user'].pk}/", "/invoices/", f"/invoices/{objects['invoice'].pk}/",
        "/account/", f"/dns/{objects['zone'].pk}/delete/",
    ]  # fmt: skip


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_every_page_passes_axe_and_fits_a_phone(
    browser: Browser, live_server: Any, customer_a: User, services: dict[str, Any], viewport: str
) -> None:
    page = browser.page(viewport)
    log_in(page, live_server.url, customer_a.username, PASSWORD)
    for path in ["/login/", *_pages(services)]:
        if path == "/login/":
            login = browser.page(viewport)
            login.goto(f"{live_server.url}/login/")
            checked = login
        else:
            page.goto(f"{live_server.url}{path}")
            checked = page
        assert axe_violations(checked) == [], path
        assert duplicate_ids(checked) == [], path
        if viewport == "phone":
            assert not scrolls_sideways(checked), f"{path} scrolls sideways at 390 px"


def test_a_customer_works_by_keyboard_alone(
    browser: Browser, live_server: Any, customer_a: User, services: dict[str, Any]
) -> None:
    page = browser.page("phone")
    page.goto(f"{live_server.url}/login/")
    page.keyboard.press("Tab")  # the skip link first, then the form
    _tab_to(page, "id_username")
    page.keyboard.type(customer_a.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/dns/{services['zone'].pk}/")
    _tab_to(page, "id_name")
    page.keyboard.type("mail")
    page.keyboard.press("Tab")
    page.keyboard.type("TXT")  # a select takes typed letters
    page.keyboard.press("Tab")
    page.keyboard.type("v=spf1 -all")
    _tab_to(page, "add-record-submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    errors = page.locator(".errorlist").all_inner_texts()
    assert page.get_by_text("The record is being added.").is_visible(), errors
    assert services["zone"].records.filter(name="mail", type="TXT").exists()


def _tab_to(page: Any, element_id: str, most: int = 60) -> None:
    for _ in range(most):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} is not reachable with Tab")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_password_key_pdf_and_retry_in_the_browser(
    browser: Browser, live_server: Any, customer_a: User, services: dict[str, Any], viewport: str
) -> None:
    page = browser.page(viewport)
    log_in(page, live_server.url, customer_a.username, PASSWORD)
    box: Mailbox = services["box"]
    before = box.password_hash
    page.goto(f"{live_server.url}/mail/mailboxes/{box.pk}/")
    page.get_by_label("New password").fill("a-new-long-password-2")
    page.get_by_role("button", name="Change the password").click()
    page.get_by_text("The new password is being set.").wait_for()
    assert Mailbox.objects.get(pk=box.pk).password_hash != before

    page.goto(f"{live_server.url}/users/{services['user'].pk}/")
    page.get_by_label("SSH public key").fill(key_pair("browser")[1])
    page.get_by_role("button", name="Add the key").click()
    page.get_by_text("The key is being added.").wait_for()
    assert SshKey.objects.filter(system_user=services["user"]).count() == 1

    page.goto(f"{live_server.url}/invoices/")
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Download {services['invoice'].code}").click()
    assert download.value.suggested_filename == f"{services['invoice'].code}.pdf"
    assert Path(download.value.path()).read_bytes()[:4] == b"%PDF"

    zone = services["zone"]
    type(zone).objects.filter(pk=zone.pk).update(
        apply_state="failed", apply_error="shop.example: refused by the server"
    )
    ChangeSetItem.objects.filter(object_id=str(zone.pk)).update(outcome="failed")
    page.goto(f"{live_server.url}/dns/{zone.pk}/")
    state = page.locator(f"#state-zone-{zone.pk}")
    assert "refused by the server" in state.inner_text()
    url = page.url
    state.get_by_role("button", name="Try again").click()
    page.locator(f"#state-zone-{zone.pk}.state-pending").wait_for()  # swapped in by htmx, no reload
    assert page.url == url and Zone.objects.get(pk=zone.pk).apply_state == "pending"
