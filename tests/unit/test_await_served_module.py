"""The baton.core.await_served module run as Ansible runs it (its source with the JSON arguments spliced in),
polling real commands. The roles' Molecule scenarios and the end-to-end tests run it against real daemons."""

from __future__ import annotations

import http.server
import json
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

MODULE = Path(__file__).resolve().parents[2] / "ansible_collections/baton/core/plugins/modules/await_served.py"


def run(check_mode: bool = False, **options: Any) -> tuple[int, dict[str, Any]]:
    arguments = json.dumps({**options, "_ansible_check_mode": check_mode})
    source = MODULE.read_text().replace("<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>", arguments)
    done = subprocess.run([sys.executable, "-"], input=source, capture_output=True, text=True, check=False)
    return done.returncode, json.loads(done.stdout)


def test_waits_until_a_probe_answers_what_it_should(tmp_path: Path) -> None:
    flag = tmp_path / "serial"
    # The probe's answer changes only after the kick ran and a few rounds went by, as a transfer would.
    kick = ["sh", "-c", f"(sleep 0.3; echo 2026120702 > {flag}) &"]
    probe = {"label": "z.example", "unit": "z.example", "command": ["cat", str(flag)], "expect": "^2026120702$",
             "kick": kick}  # fmt: skip
    flag.write_text("2026120701\n")
    rc, result = run(probes=[probe], timeout=5)
    assert rc == 0 and result["rejected_files"] == []
    assert 0.25 < result["waited"] < 3
    assert flag.read_text() == "2026120702\n"


def test_at_least_accepts_a_newer_serial_and_waits_for_an_older_one(tmp_path: Path) -> None:
    flag = tmp_path / "soa"
    flag.write_text("ns1. hostmaster. 2026120705 3600 600 86400 300\n")
    newer = {"label": "z", "command": ["cat", str(flag)], "expect": r"^\S+ \S+ (\d+) ", "at_least": 2026120703}
    assert run(probes=[newer], timeout=1)[1]["rejected_files"] == []
    older = {**newer, "at_least": 2026120706}
    [rejected] = run(probes=[older], timeout=0.3)[1]["rejected_files"]
    assert "2026120705" in rejected["msg"]


def test_a_probe_not_answered_in_time_fails_only_its_unit(tmp_path: Path) -> None:
    probes = [
        {"label": "ok", "unit": "site:a", "command": ["true"]},
        {"label": "late", "unit": "site:b", "command": ["sh", "-c", "echo old generation; exit 1"]},
    ]
    rc, result = run(probes=probes, timeout=0.5)
    assert rc == 0 and result["waited"] >= 0.5
    [rejected] = result["rejected_files"]
    assert rejected["unit"] == "site:b" and "not served after 0.5 s" in rejected["msg"]
    assert "old generation" in rejected["msg"]
    rc, result = run(probes=probes, timeout=0.2, fail_on_rejected=True)
    assert rc == 1 and result["failed"] and "site:b" in result["msg"]


def test_check_mode_asks_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "asked"
    rc, result = run(check_mode=True, probes=[{"label": "x", "command": ["touch", str(marker)]}])
    assert rc == 0 and result["rejected_files"] == [] and not marker.exists()


def test_refuses_probes_without_a_way_to_ask() -> None:
    rc, result = run(probes=[{"label": "x"}])
    assert rc == 1 and "command, http or fcgi" in result["msg"]


class _SiteHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.headers["Host"] == "www.a.example" else 404)
        self.send_header("X-Baton-Site", f"{self.headers['Host']} {self.path}")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_http_probes_send_the_host_and_read_the_headers() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SiteHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        served = {"label": "a", "unit": "site:a", "http": {"port": port, "host": "www.a.example", "path": "/x"},
                  "expect": r"(?m)^X-Baton-Site: www\.a\.example /x$"}  # fmt: skip
        other = {"label": "b", "unit": "site:b", "http": {"port": port, "host": "www.b.example"}, "expect": "^HTTP 200"}
        [rejected] = run(probes=[served, other], timeout=0.3)[1]["rejected_files"]
        assert rejected["unit"] == "site:b" and "HTTP 404" in rejected["msg"]
    finally:
        server.shutdown()
        server.server_close()
    [refused] = run(probes=[{**served, "expect": ""}], timeout=0.2)[1]["rejected_files"]
    assert "refused" in refused["msg"].lower(), "nothing listens any more"


def _fastcgi_server(path: Path, answer: bytes, seen: list[bytes]) -> socket.socket:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            received = b""
            while not received.endswith(struct.pack(">BBHHBx", 1, 5, 1, 0, 0)):  # the empty stdin record
                received += connection.recv(4096)
            seen.append(received)
            connection.sendall(
                struct.pack(">BBHHBx", 1, 6, 1, len(answer), 0)
                + answer
                + struct.pack(">BBHHBx", 1, 3, 1, 8, 0)
                + bytes(8)
            )

    threading.Thread(target=serve, daemon=True).start()
    return listener


def test_fcgi_probes_ask_the_pool_as_the_web_server_would(tmp_path: Path) -> None:
    seen: list[bytes] = []
    listener = _fastcgi_server(tmp_path / "pool.sock", b"Content-type: text/plain\r\n\r\nabc123", seen)
    try:
        probe = {"label": "p", "fcgi": {"socket": str(tmp_path / "pool.sock"), "path": "/baton-ping"},
                 "expect": r"\r\n\r\nabc123$"}  # fmt: skip
        rc, result = run(probes=[probe], timeout=2)
        assert rc == 0 and result["rejected_files"] == []
        assert b"\x0b\x0bSCRIPT_NAME/baton-ping" in seen[0] and b"\x0e\x03REQUEST_METHODGET" in seen[0]
    finally:
        listener.close()


def _install(tmp_path: Path, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """install_files with previous_dir, as the roles call it before a rollback: what it kept."""
    from tests.unit.test_install_files_module import run as install

    result = install(files=files, previous_dir=str(tmp_path / "previous"))
    return result["previous"]


def _two_sites(tmp_path: Path) -> tuple[Path, Path, list[dict[str, Any]]]:
    (tmp_path / "a.conf").write_text("old a\n")
    previous = _install(tmp_path, [
        {"path": str(tmp_path / "a.conf"), "content": "new a\n", "unit": "site:a"},
        {"path": str(tmp_path / "b.conf"), "content": "new b\n", "unit": "site:b"},
    ])  # fmt: skip
    return tmp_path / "a.conf", tmp_path / "b.conf", previous


def test_a_unit_whose_probe_fails_gets_its_previous_files_back_and_fails_alone(tmp_path: Path) -> None:
    a, b, previous = _two_sites(tmp_path)
    assert [(Path(e["path"]).name, e["unit"], e["saved"] is None) for e in previous] == [
        ("a.conf", "site:a", False), ("b.conf", "site:b", True)
    ]  # fmt: skip
    assert (tmp_path / "previous").stat().st_mode & 0o777 == 0o700
    probes = [
        {"label": "vhost a", "unit": "site:a", "command": ["sh", "-c", "echo wrong generation; exit 1"]},
        {"label": "vhost b", "unit": "site:b", "command": ["true"]},
    ]
    rc, result = run(probes=probes, timeout=0.2, rollback={"previous": previous})
    assert rc == 0 and result["restored"] == [str(a)]
    [rejected] = result["rejected_files"]
    assert rejected["unit"] == "site:a" and "wrong generation" in rejected["msg"] and "put back" in rejected["msg"]
    assert a.read_text() == "old a\n" and b.read_text() == "new b\n"
    assert list((tmp_path / "previous").iterdir()) == [], "the kept copies are deleted"


def test_a_run_that_only_created_files_leaves_no_directory_of_previous_versions(tmp_path: Path) -> None:
    previous = _install(tmp_path, [{"path": str(tmp_path / "new.conf"), "content": "new\n", "unit": "site:a"}])
    assert [entry["saved"] for entry in previous] == [None]
    rc, result = run(probes=[{"label": "a", "unit": "site:a", "command": ["true"]}], rollback={"previous": previous})
    assert rc == 0 and result["restored"] == []
    assert list((tmp_path / "previous").iterdir()) == []


def test_a_failing_canary_puts_back_every_file_of_the_run(tmp_path: Path) -> None:
    a, b, previous = _two_sites(tmp_path)
    (tmp_path / "c.conf").write_text("converged c\n")
    probes = [
        {"label": "vhost a", "unit": "site:a", "command": ["true"]},
        {"label": "vhost b", "unit": "site:b", "command": ["true"]},
        # A canary whose configuration is not the converged one is not asked: it may never have answered.
        {"label": "x", "canary": "x", "command": ["false"],
         "if_contains": {"path": str(tmp_path / "x.conf"), "text": "converged"}},
        {"label": "c", "canary": "c", "command": ["sh", "-c", "echo connection refused; exit 1"],
         "if_contains": {"path": str(tmp_path / "c.conf"), "text": "converged"}},
    ]  # fmt: skip
    rc, result = run(probes=probes, timeout=0.2, rollback={"previous": previous})
    assert rc == 0 and sorted(result["restored"]) == [str(a), str(b)]
    assert a.read_text() == "old a\n" and not b.exists(), "a file the run created is deleted"
    assert sorted(entry["unit"] for entry in result["rejected_files"]) == ["site:a", "site:b"]
    for entry in result["rejected_files"]:
        assert "another site of this server stopped answering" in entry["msg"] and "c.conf" not in entry["msg"]
    assert list((tmp_path / "previous").iterdir()) == []


def test_served_units_and_a_canary_that_answers_keep_the_new_files(tmp_path: Path) -> None:
    a, b, previous = _two_sites(tmp_path)
    probes = [
        {"label": "vhost a", "unit": "site:a", "command": ["true"]},
        {"label": "c", "canary": "c", "command": ["true"]},
    ]
    rc, result = run(probes=probes, timeout=1, rollback={"previous": previous})
    assert rc == 0 and result["rejected_files"] == [] and result["restored"] == []
    assert a.read_text() == "new a\n" and b.read_text() == "new b\n"
    assert list((tmp_path / "previous").iterdir()) == []


def test_https_probes_send_the_name_as_sni_and_host(tmp_path: Path) -> None:
    import ssl

    from tests.certs import issue

    leaf = issue("www.a.example", names=["www.a.example"])
    (tmp_path / "site.pem").write_text(leaf.certificate_pem + leaf.key_pem())
    seen: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tmp_path / "site.pem"))
    context.sni_callback = lambda sock, name, ctx: seen.append(str(name)) and None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SiteHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        probe = {"label": "a", "unit": "site:a", "https": {"port": server.server_address[1], "host": "www.a.example"},
                 "expect": r"(?m)^HTTP 200\n[\s\S]*^X-Baton-Site: www\.a\.example /$"}  # fmt: skip
        rc, result = run(probes=[probe], timeout=2)
        assert rc == 0 and result["rejected_files"] == []
        assert seen and seen[0] == "www.a.example"
    finally:
        server.shutdown()
        server.server_close()


def test_a_file_the_run_pruned_is_put_back_with_its_unit(tmp_path: Path) -> None:
    from tests.unit.test_install_files_module import run as install

    (tmp_path / "shop.pem").write_text("key of shop\n")
    result = install(
        files=[], prune=[{"directory": str(tmp_path), "suffix": ".pem", "unit_prefix": "site:"}],
        previous_dir=str(tmp_path / "previous"),
    )  # fmt: skip
    assert result["pruned_files"] == [str(tmp_path / "shop.pem")] and not (tmp_path / "shop.pem").exists()
    probe = {"label": "vhost shop", "unit": "site:shop", "command": ["false"]}
    rc, served = run(probes=[probe], timeout=0.1, rollback={"previous": result["previous"]})
    assert rc == 0 and served["restored"] == [str(tmp_path / "shop.pem")]
    assert (tmp_path / "shop.pem").read_text() == "key of shop\n"
