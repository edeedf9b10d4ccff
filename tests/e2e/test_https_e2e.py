"""HTTPS with an uploaded certificate, from the API down to TLS: a customer uploads its site's certificate (issued
by a CA made for the test), turns HTTPS on, redirect and HSTS; each is served right after the change set is
applied, verified against that CA with SNI = Host on the test server's published port 443; a renewed certificate
is served, a disabled account's site answers 503 over HTTPS too. Then the private key is searched for everywhere a
run leaves text: the desired-state repository and its history, runs, events and plans, the audit log, the run
directory and the worker's log. It is in none of them."""

from __future__ import annotations

import hashlib
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes

from panel.core.models import ObjectChange
from panel.provisioning.models import Run, RunEvent
from tests import hosts
from tests.certs import chain_of, issue
from tests.e2e.conftest import Worker, customer_api, register_server, served_now, staff_api
from tests.e2e.test_websites_e2e import applied, get, site_with_files

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def web_host() -> Iterator[hosts.TestHost]:
    name = "baton-e2e-tls1"
    try:
        yield hosts.start(name, ports=[80, 443])
    finally:
        hosts.stop(name)


def get_https(host: hosts.TestHost, hostname: str, path: str, cafile: Path) -> tuple[int, dict[str, str], str, str]:
    """GET over TLS verified against `cafile` with SNI = Host: status, headers, body and the served leaf's
    SHA-256 fingerprint."""
    context = ssl.create_default_context(cafile=str(cafile))
    with (
        socket.create_connection(("127.0.0.1", host.ports[443]), timeout=20) as plain,
        context.wrap_socket(plain, server_hostname=hostname) as tls,
    ):
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {hostname}\r\nConnection: close\r\n\r\n".encode())
        raw = b""
        while chunk := tls.recv(65536):
            raw += chunk
        served = tls.getpeercert(binary_form=True) or b""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body.decode(errors="replace"), hashlib.sha256(served).hexdigest()


def redirect_of(host: hosts.TestHost, hostname: str, path: str) -> tuple[int, str]:
    with socket.create_connection(("127.0.0.1", host.ports[80]), timeout=20) as plain:
        plain.sendall(f"GET {path} HTTP/1.1\r\nHost: {hostname}\r\nConnection: close\r\n\r\n".encode())
        raw = b""
        while chunk := plain.recv(65536):
            raw += chunk
    lines = raw.decode(errors="replace").split("\r\n")
    location = next((line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("location:")), "")
    return int(lines[0].split()[1]), location


def _key_fragments(pem: str) -> list[str]:
    """Pieces of the key's base64 body long enough to be unique, from its start, middle and end."""
    body = "".join(line for line in pem.splitlines() if "-----" not in line)
    return [body[i : i + 24] for i in (0, len(body) // 2, len(body) - 24)]


def _texts_a_run_leaves(settings: Any, worker_logs: list[Path]) -> dict[str, str]:
    desired = Path(settings.BATON_DESIRED_STATE_DIR)
    history = subprocess.run(
        ["git", "-C", str(desired), "log", "-p", "--all"], capture_output=True, text=True, check=False
    ).stdout
    files = "".join(p.read_text(errors="replace") for p in desired.rglob("*.json") if p.is_file())
    runs_dir = Path(settings.BATON_RUN_DIR)
    leftovers = "".join(p.read_text(errors="replace") for p in runs_dir.rglob("*") if p.is_file())
    return {
        "desired-state history": history,
        "desired-state files": files,
        "runs and plans": str(list(Run.objects.values())),
        "events": str(list(RunEvent.objects.values())),
        "audit log": str(list(ObjectChange.objects.values())),
        "run directory": leftovers,
        "worker log": "".join(log.read_text(errors="replace") for log in worker_logs),
    }


def test_https_with_an_uploaded_certificate_is_served_and_its_key_is_nowhere(
    live_server: Any,
    start_worker: Callable[[], Worker],
    web_host: hosts.TestHost,
    tmp_path: Path,
    settings: Any,
) -> None:
    start_worker()
    staff = staff_api(live_server, "tls-staff")
    server = register_server(staff, web_host, ["web"])
    staff.ok("POST", "/api/placements/", {"role": "web", "server": server["id"]})
    customer = customer_api(live_server, staff, "tlsco")
    site = site_with_files(web_host, staff, customer, "tlsco", "tls.example")
    root = issue("Baton Test Root", ca=True, days=3650)
    intermediate = issue("Baton Test Intermediate", issuer=root, ca=True, days=365)
    leaf = issue("tls.example", names=["tls.example", "www.tls.example"], issuer=intermediate, key=None)
    cafile = tmp_path / "root.pem"
    cafile.write_text(root.certificate_pem)
    url = f"/api/websites/{site['id']}/"
    body = {"certificate": leaf.certificate_pem, "chain": chain_of(intermediate), "key": leaf.key_pem()}
    uploaded = customer.ok("PUT", f"{url}certificate/", body)
    assert uploaded["change_set"] is None, "a site serving HTTP only changes nothing on the server"

    applied(staff, customer.ok("PATCH", url, {"https": "on"})["change_set"])
    status, _, page, served = get_https(web_host, "www.tls.example", "/index.html", cafile)
    assert (status, page) == (200, "hello\n") and served == leaf.certificate.fingerprint(hashes.SHA256()).hex()
    assert get(web_host, "tls.example", "/index.html") == (200, "hello\n"), "on: HTTP still serves"

    applied(staff, customer.ok("PATCH", url, {"https": "redirect"})["change_set"])
    code, location = redirect_of(web_host, "www.tls.example", "/index.html")
    assert code == 301 and location.startswith("https://"), (code, location)

    applied(staff, customer.ok("PATCH", url, {"https": "hsts"})["change_set"])
    status, headers, _, _ = get_https(web_host, "tls.example", "/index.html", cafile)
    assert status == 200 and "max-age=" in headers.get("strict-transport-security", ""), headers

    renewed = issue("tls.example", names=["tls.example", "*.tls.example"], issuer=intermediate)
    body = {"certificate": renewed.certificate_pem, "chain": chain_of(intermediate), "key": renewed.key_pem()}
    applied(staff, customer.ok("PUT", f"{url}certificate/", body)["change_set"])
    served_now(
        lambda: get_https(web_host, "www.tls.example", "/index.html", cafile)[3],
        renewed.certificate.fingerprint(hashes.SHA256()).hex(),
        "a renewed certificate",
    )

    account = staff.ok("GET", "/api/accounts/?search=tlsco")["results"][0]["id"]
    disabled = staff.ok("POST", f"/api/accounts/{account}/disable/")["change_sets"]
    for change_set in disabled:
        applied(staff, change_set)
    served_now(lambda: get_https(web_host, "tls.example", "/", cafile)[0], 503, "a disabled account's HTTPS site")
    # A plan (check mode + diff) of the web service: it gets the key too (to compare), and shows none of it.
    web_change_set = next(c for c in disabled if staff.ok("GET", f"/api/changesets/{c}/")["service"] == "web")
    plan = staff.ok("POST", f"/api/changesets/{web_change_set}/plan/")
    assert plan["status"] in {"successful", "partial"}, plan

    logs = sorted(tmp_path.glob("worker-*.log"))
    texts = _texts_a_run_leaves(settings, logs)
    assert texts["desired-state history"] and texts["events"] != "[]", "the search looks at real text"
    for key in (leaf.key_pem(), renewed.key_pem()):
        for fragment in _key_fragments(key):
            for where, text in texts.items():
                assert fragment not in text, f"a piece of the private key is in the {where}"
    assert "sha256:" in texts["desired-state history"], "the history says the key changed, by its digest"
