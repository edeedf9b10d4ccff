"""The outside world for name proofs: an authoritative DNS server (UDP) and a web server on 127.0.0.1,
standing for the name servers and the current host of names no zone in the panel holds. Both speak the real
protocols; what they serve is set by the test."""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class OutsideDns:
    """Authoritative for `zones`; answers TXT queries from `txt` (owner name -> strings), NXDOMAIN elsewhere in
    its zones, REFUSED outside them."""

    def __init__(self, zones: tuple[str, ...]) -> None:
        self.zones = zones
        self.txt: dict[str, list[str]] = {}
        self.queries = 0
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind(("127.0.0.1", 0))
        self.port = self._udp.getsockname()[1]
        self._closed = False

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        self.queries += 1
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        if not any(name == zone or name.endswith(f".{zone}") for zone in self.zones):
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        response.flags |= dns.flags.AA
        values = self.txt.get(name)
        if values is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.TXT:
            quoted = [f'"{value}"' for value in values]
            response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "TXT", *quoted))
        return response.to_wire()

    def serve(self) -> None:
        while not self._closed:
            try:
                wire, peer = self._udp.recvfrom(4096)
                self._udp.sendto(self.answer(wire), peer)
            except OSError:  # closed
                return

    def close(self) -> None:
        self._closed = True
        self._udp.close()


@contextmanager
def outside_dns(*zones: str) -> Iterator[OutsideDns]:
    server = OutsideDns(zones)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()


class OutsideWeb(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], str] = {}  # (host, path) -> body
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: OutsideWeb

    def do_GET(self) -> None:
        body = self.server.files.get((self.headers.get("Host", ""), self.path))
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write((body or "not here").encode())

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def outside_web() -> Iterator[OutsideWeb]:
    server = OutsideWeb()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
