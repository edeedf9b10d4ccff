"""Websites from the API down to HTTP: a real web server registered through the API, two customers' PHP sites
created through the API and applied by a real Huey worker, their files uploaded over SFTP as each account, and
requests with each site's Host header to the server's published port 80: PHP runs as the site's own account,
cannot read the other account's files, and a disabled account's site answers 503 until it is enabled."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography import x509

from tests import hosts
from tests.e2e.conftest import Api, Worker, customer_api, register_server, served_now, staff_api
from tests.outside import outside_dns
from tests.sftp import upload

pytestmark = pytest.mark.e2e
PASSWORD = "site upload password"
PROBE = b"""<?php
header('Content-Type: text/plain');
echo 'user=', posix_getpwuid(posix_geteuid())['name'], "\\n";
echo 'open_basedir=', ini_get('open_basedir'), "\\n";
$other = $_GET['read'] ?? '';
if ($other !== '') { echo 'read=', @file_get_contents($other) === false ? 'denied' : 'allowed', "\\n"; }
"""


@pytest.fixture(scope="module")
def web_host() -> Iterator[hosts.TestHost]:
    name = "baton-e2e-www1"
    try:
        yield hosts.start(name, ports=[80, 443])
    finally:
        hosts.stop(name)


def get(host: hosts.TestHost, hostname: str, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", host.ports[80], timeout=20)
    try:
        connection.request("GET", path, headers={"Host": hostname})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def get_tls(host: hosts.TestHost, hostname: str, path: str) -> tuple[int, str]:
    """HTTPS with SNI = Host; returns the status and the subject of the certificate the server showed."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", host.ports[443]), timeout=20) as plain,
        context.wrap_socket(plain, server_hostname=hostname) as tls,
    ):
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {hostname}\r\nConnection: close\r\n\r\n".encode())
        status_line = tls.recv(4096).split(b"\r\n", 1)[0].decode()
        certificate = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True) or b"")
    return int(status_line.split()[1]), certificate.subject.rfc4514_string()


def processes_of(host: hosts.TestHost, user: str) -> list[str]:
    """The processes running as `user` on the server (its PHP-FPM workers, its SSH sessions)."""
    found = hosts.podman("exec", hosts.container_name(host.name), "pgrep", "-a", "-u", user, check=False)
    return found.stdout.splitlines()


def neutral(answer: tuple[int, str]) -> bool:
    return answer[0] == 404 and "No site here" in answer[1]


def suspended(answer: tuple[int, str]) -> bool:
    return answer[0] == 503 and "suspended" in answer[1]


def applied(api: Api, change_set: int) -> None:
    state = api.wait_applied(change_set, timeout=240)
    assert state["state"] == "applied", json.dumps(state)


def site_with_files(host: hosts.TestHost, staff: Api, customer: Api, handle: str, domain: str) -> dict[str, Any]:
    """A PHP site created by the customer, its password set on the account's own user, its files uploaded."""
    site = customer.ok("POST", "/api/websites/", {"name": "www", "domains": [domain, f"www.{domain}"]})
    applied(staff, site["change_set"])
    [main] = customer.ok("GET", f"/api/systemusers/?search={handle}")["results"]
    password = customer.ok("POST", f"/api/systemusers/{main['id']}/set-password/", {"password": PASSWORD})
    applied(staff, password["change_set"])
    upload(
        host.ssh_port, handle, PASSWORD, {"/web/www/public/probe.php": PROBE, "/web/www/public/index.html": b"hello\n"}
    )
    return site


def test_php_sites_through_the_api_served_over_http(
    live_server: Any, start_worker: Callable[[], Worker], web_host: hosts.TestHost
) -> None:
    start_worker()
    staff = staff_api(live_server, "web-staff")
    server = register_server(staff, web_host, ["web"])
    staff.ok("POST", "/api/placements/", {"role": "web", "server": server["id"]})
    shop, other = customer_api(live_server, staff, "shopco"), customer_api(live_server, staff, "otherco")
    shop_site = site_with_files(web_host, staff, shop, "shopco", "shop.example")
    other_site = site_with_files(web_host, staff, other, "otherco", "other.example")

    status, body = get(web_host, "www.shop.example", "/probe.php?read=/srv/baton/otherco/web/www/public/probe.php")
    assert status == 200, body
    assert "user=shopco" in body and "open_basedir=/srv/baton/shopco/" in body and "read=denied" in body
    status, body = get(web_host, "other.example", "/probe.php?read=/srv/baton/shopco/web/www/public/probe.php")
    assert (status, "user=otherco" in body, "read=denied" in body) == (200, True, True), body
    assert get(web_host, "shop.example", "/index.html") == (200, "hello\n")

    account = staff.ok("GET", "/api/accounts/?search=shopco")["results"][0]["id"]
    assert processes_of(web_host, "shopco"), "the PHP worker that just ran the probe"
    disabled = staff.ok("POST", f"/api/accounts/{account}/disable/")
    for change_set in disabled["change_sets"]:
        applied(staff, change_set)
    served_now(lambda: processes_of(web_host, "shopco"), [], "a disabled account's processes")
    served_now(lambda: suspended(get(web_host, "shop.example", "/index.html")), True, "a disabled account's site")
    assert get(web_host, "other.example", "/index.html") == (200, "hello\n")  # the other account goes on
    enabled = staff.ok("POST", f"/api/accounts/{account}/enable/")
    for change_set in enabled["change_sets"]:
        applied(staff, change_set)
    served_now(lambda: get(web_host, "shop.example", "/index.html"), (200, "hello\n"), "an enabled site")

    # A changed site serves its new name, a deleted one no longer serves its own pages: the first request after
    # applied (a graceful reload returns before the new generation serves; the run waits for it).
    changed = shop.ok("PATCH", f"/api/websites/{shop_site['id']}/", {"domains": ["shop.example", "new.shop.example"]})
    applied(staff, changed["change_set"])
    served_now(lambda: get(web_host, "new.shop.example", "/index.html"), (200, "hello\n"), "a new name of a site")
    deleted = other.call("DELETE", f"/api/websites/{other_site['id']}/")[1]
    applied(staff, deleted["change_set"])
    served_now(lambda: neutral(get(web_host, "other.example", "/probe.php")), True, "a deleted site's name")
    # A name nobody serves gets the panel's neutral answer, never a customer's site, on HTTP and HTTPS.
    assert neutral(get(web_host, "unknown.example", "/probe.php"))
    status, subject = get_tls(web_host, "unknown.example", "/probe.php")
    assert status == 421 and "shop" not in subject and "other" not in subject, subject


def test_an_outside_name_is_served_after_its_proof_and_not_before(
    live_server: Any, start_worker: Callable[[], Worker], web_host: hosts.TestHost, settings: Any
) -> None:
    """A name no zone here holds: the site waits, and the server answers the name with its neutral page, until the
    account's TXT record is on the name's authoritative server (one on 127.0.0.1 stands for the outside world);
    then the account's page is served, on the first request after the release's change set is applied."""
    settings.BATON_PROVE_EXTERNAL_NAMES = True
    start_worker()
    staff = staff_api(live_server, "proof-staff")
    server = register_server(staff, web_host, ["web"])
    staff.ok("POST", "/api/placements/", {"role": "web", "server": server["id"]})
    customer = customer_api(live_server, staff, "extco")
    account = staff.ok("GET", "/api/accounts/?search=extco")["results"][0]["id"]
    # Staff waive the proof for another name of the account (audited): the server serves sites from then on.
    waived = {"name": "old", "domains": ["old.outside.test"], "account": account, "allow_foreign_name": True}
    applied(staff, staff.ok("POST", "/api/websites/", waived)["change_set"])
    with outside_dns("outside.test") as name_server:
        settings.BATON_NAME_PROOF_NAMESERVERS = [name_server.address]
        site = customer.ok("POST", "/api/websites/", {"name": "www", "domains": ["shop.outside.test"]})
        assert (site["apply_state"], site["change_set"]) == ("unproven", None), site
        assert neutral(get(web_host, "shop.outside.test", "/index.html")), "nothing reached the server"
        [proof] = customer.ok("GET", "/api/names/?name=shop.outside.test")["results"]
        name_server.txt[proof["txt_record"]["name"]] = [proof["txt_record"]["value"]]
        checked = customer.ok("POST", f"/api/names/{proof['id']}/check/")
    assert checked["proven"], checked
    for change_set in checked["change_sets"]:
        applied(staff, change_set)
    served_now(lambda: neutral(get(web_host, "shop.outside.test", "/index.html")), False, "a proven name")
    [main] = customer.ok("GET", "/api/systemusers/?search=extco")["results"]
    applied(
        staff, customer.ok("POST", f"/api/systemusers/{main['id']}/set-password/", {"password": PASSWORD})["change_set"]
    )
    upload(web_host.ssh_port, "extco", PASSWORD, {"/web/www/public/index.html": b"extco's page\n"})
    assert get(web_host, "shop.outside.test", "/index.html") == (200, "extco's page\n")
    assert customer.ok("GET", f"/api/websites/{site['id']}/")["apply_state"] == "applied"
