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
