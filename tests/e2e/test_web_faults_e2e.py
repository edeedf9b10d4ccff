"""Faults in one account's sites while two sites of another account are asked over HTTP and HTTPS (verified, SNI =
Host) every 50 ms and must answer 200 throughout: a certificate whose key no longer matches it (written straight
into the database) for a site serving HTTPS and for one switching it on, and a vhost apache2ctl -t accepts but
apache does not serve (a primary name written straight into the database that the neutral default vhost answers:
the probe after the reload fails and the previous vhost is put back). Each time only the faulty site fails, with
the checker's or the probe's text and no other tenant's names; its live files stay as they were; once fixed in
the database, a retry applies it.

Then a pool whose user does not exist (the database says it does): php-fpm -t refuses it, the site fails with
its words, and a retry after the users run applies it.

A bad PHP value and a vhost apache2ctl -t refuses are not here: the panel has no PHP settings yet (websites, part
3), and no site data the role accepts makes a vhost -t refuses. The web Molecule scenario refuses a vhost -t
refuses while the others go live."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from panel.accounts.models import Account
from panel.core.secrets import encrypt
from panel.servers.models import Server
from panel.systemusers.models import SystemUser
from panel.systemusers.services import account_user
from panel.web.models import Certificate, WebsiteDomain
from tests import hosts
from tests.certs import issue, new_key
from tests.e2e.conftest import Api, Worker, customer_api, register_server, served_now, staff_api
from tests.e2e.test_https_e2e import get_https, redirect_of
from tests.e2e.test_websites_e2e import applied, get, site_with_files

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def web_host() -> Iterator[hosts.TestHost]:
    name = "baton-e2e-faults"
    try:
        yield hosts.start(name, ports=[80, 443])
    finally:
        hosts.stop(name)


class Canaries(threading.Thread):
    """Asks one site over HTTP and another over HTTPS until stopped; keeps every answer that is not 200."""

    def __init__(self, host: hosts.TestHost, http_name: str, https_name: str, cafile: Path) -> None:
        super().__init__(daemon=True)
        self.host, self.http_name, self.https_name, self.cafile = host, http_name, https_name, cafile
        self.asked = 0
        self.failures: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for ask in (self._http, self._https):
                try:
                    status = ask()
                except OSError as error:
                    status = error  # type: ignore[assignment]
                self.asked += 1
                if status != 200:
                    self.failures.append(f"{time.strftime('%H:%M:%S')} {ask.__name__}: {status}")
            time.sleep(0.05)

    def _http(self) -> int:
        return get(self.host, self.http_name, "/index.html")[0]

    def _https(self) -> int:
        return get_https(self.host, self.https_name, "/index.html", self.cafile)[0]


def live_files(host: hosts.TestHost, site: str) -> dict[str, str]:
    """The site's vhost and key files on the server, by digest ("" when absent)."""
    found = {}
    for path in (f"/etc/apache2/baton/sites/{site}.conf", f"/etc/ssl/baton/{site}.pem"):
        done = hosts.podman("exec", hosts.container_name(host.name), "cat", path, check=False)
        found[path] = hashlib.sha256(done.stdout.encode()).hexdigest() if done.returncode == 0 else ""
    return found


def failed_alone(staff: Api, customer: Api, change_set: int, site_id: int, *words: str) -> str:
    """The change set failed for this site; the site shows the checker's text, naming none of the canaries."""
    state = staff.wait_applied(change_set, timeout=240)
    assert state["state"] in {"failed", "partial"}, state
    site = customer.ok("GET", f"/api/websites/{site_id}/")
    assert site["apply_state"] == "failed", site
    error = site["apply_error"]
    for word in words:
        assert word in error, error
    assert "canary" not in error, "another tenant's names in the error"
    return error


def retried(staff: Api, change_set: int) -> None:
    applied(staff, staff.ok("POST", f"/api/changesets/{change_set}/retry/")["id"])


def test_a_faulty_site_fails_alone_while_another_accounts_sites_answer_throughout(
    live_server: Any, start_worker: Callable[[], Worker], web_host: hosts.TestHost, tmp_path: Path
) -> None:
    start_worker()
    staff = staff_api(live_server, "faults-staff")
    server = register_server(staff, web_host, ["web"])
    staff.ok("POST", "/api/placements/", {"role": "web", "server": server["id"]})
    root = issue("Baton Faults Root", ca=True, days=3650)
    cafile = tmp_path / "root.pem"
    cafile.write_text(root.certificate_pem)

    def with_https(customer: Api, site: dict[str, Any], names: list[str]) -> Any:
        leaf = issue(names[0], names=names, issuer=root)
        url = f"/api/websites/{site['id']}/"
        customer.ok("PUT", f"{url}certificate/", {"certificate": leaf.certificate_pem, "key": leaf.key_pem()})
        applied(staff, customer.ok("PATCH", url, {"https": "on"})["change_set"])
        return leaf

    canary = customer_api(live_server, staff, "canaryco")
    canary_site = site_with_files(web_host, staff, canary, "canaryco", "canary.example")
    with_https(canary, canary_site, ["canary.example", "www.canary.example"])
    fault = customer_api(live_server, staff, "faultco")
    one = site_with_files(web_host, staff, fault, "faultco", "fault.example")
    one_leaf = with_https(fault, one, ["fault.example", "www.fault.example"])
    two = fault.ok("POST", "/api/websites/", {"name": "two", "domains": ["two.fault.example"], "php": "off"})
    applied(staff, two["change_set"])
    three = fault.ok("POST", "/api/websites/", {"name": "three", "domains": ["three.fault.example"], "php": "off"})
    applied(staff, three["change_set"])
    mismatched_key = encrypt(issue("x", key=new_key("ec")).key_pem())

    canaries = Canaries(web_host, "canary.example", "www.canary.example", cafile)
    canaries.start()
    try:
        # A key that no longer matches its certificate: refused before anything is reloaded.
        before = live_files(web_host, "faultco-www")
        good_key = Certificate.objects.get(website_id=one["id"]).key_encrypted
        Certificate.objects.filter(website_id=one["id"]).update(key_encrypted=mismatched_key)
        change_set = fault.ok("PATCH", f"/api/websites/{one['id']}/", {"https": "redirect"})["change_set"]
        failed_alone(staff, fault, change_set, one["id"], "does not match")
        assert live_files(web_host, "faultco-www") == before
        assert get_https(web_host, "fault.example", "/index.html", cafile)[0] == 200, "the previous pair serves"
        Certificate.objects.filter(website_id=one["id"]).update(key_encrypted=good_key)
        retried(staff, change_set)
        served_now(lambda: redirect_of(web_host, "fault.example", "/index.html")[0], 301, "the fixed site")

        # HTTPS switched on with a mismatched key: the key file is refused and the site's vhost stays the live
        # HTTP-only one (a vhost naming a refused key file never goes live).
        leaf = issue("two.fault.example", names=["two.fault.example"], issuer=root)
        upload = {"certificate": leaf.certificate_pem, "key": leaf.key_pem()}
        fault.ok("PUT", f"/api/websites/{two['id']}/certificate/", upload)
        good_key = Certificate.objects.get(website_id=two["id"]).key_encrypted
        Certificate.objects.filter(website_id=two["id"]).update(key_encrypted=mismatched_key)
        before = live_files(web_host, "faultco-two")
        change_set = fault.ok("PATCH", f"/api/websites/{two['id']}/", {"https": "on"})["change_set"]
        failed_alone(staff, fault, change_set, two["id"], "does not match")
        assert live_files(web_host, "faultco-two") == before and before["/etc/ssl/baton/faultco-two.pem"] == ""
        assert get(web_host, "two.fault.example", "/")[0] == 403, "its HTTP vhost serves as before"
        Certificate.objects.filter(website_id=two["id"]).update(key_encrypted=good_key)
        retried(staff, change_set)
        served_now(lambda: get_https(web_host, "two.fault.example", "/", cafile)[0], 403, "the fixed site (no files)")

        # A primary name the neutral default vhost answers: -t accepts the vhost, the probe after the reload gets
        # the default vhost's 404, the previous vhost is put back and serves again.
        before = live_files(web_host, "faultco-three")
        WebsiteDomain.objects.filter(website_id=three["id"]).update(is_primary=False)
        WebsiteDomain.objects.create(website_id=three["id"], name="default.baton.invalid", is_primary=True)
        change_set = fault.ok("PATCH", f"/api/websites/{three['id']}/", {"php": "fpm"})["change_set"]
        failed_alone(staff, fault, change_set, three["id"], "not served", "HTTP 404", "put back")
        assert live_files(web_host, "faultco-three") == before
        assert get(web_host, "three.fault.example", "/")[0] == 403, "the previous vhost serves"
        WebsiteDomain.objects.filter(website_id=three["id"], name="default.baton.invalid").delete()
        WebsiteDomain.objects.filter(website_id=three["id"]).update(is_primary=True)
        retried(staff, change_set)
        assert live_files(web_host, "faultco-three") != before

        # A pool whose user does not exist: the database says the account's user is on the server (written
        # straight into it), so its first site asks for no users run; php-fpm -t refuses the pool, the site fails
        # with its words, and once the users run has made the user, a retry applies it.
        ghost = customer_api(live_server, staff, "ghostco")
        main, _ = account_user(Account.objects.get(handle="ghostco"), Server.objects.get(pk=server["id"]), None)
        SystemUser.objects.filter(pk=main.pk).update(apply_state="applied")
        site = ghost.ok("POST", "/api/websites/", {"name": "www", "domains": ["ghost.example"]})
        failed_alone(staff, ghost, site["change_set"], site["id"], "ghostco")
        pool = "/etc/php/8.4/fpm/pool.d/baton-ghostco.conf"
        found = hosts.podman("exec", hosts.container_name(web_host.name), "test", "-e", pool, check=False)
        assert found.returncode != 0, "the refused pool never went live"
        users = staff.ok("POST", "/api/changesets/", {"server": server["name"], "service": "users"})
        applied(staff, users["id"])
        retried(staff, site["change_set"])
        served_now(lambda: get(web_host, "ghost.example", "/")[0], 403, "the site once its pool's user exists")
    finally:
        canaries.stopping.set()
        canaries.join(timeout=30)
    assert canaries.asked > 100, canaries.asked
    assert canaries.failures == [], canaries.failures[:20]
    assert one_leaf and canary_site
