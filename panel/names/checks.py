"""The checks behind a name proof, over the real protocols: a TXT query to the name's authoritative servers, and
an HTTP GET of the token from the name's own addresses. Each answers None when the proof holds, else why not (in
words a customer can act on)."""

from __future__ import annotations

import http.client
import ipaddress
import socket

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.resolver
from django.conf import settings

from panel.names.models import CHALLENGE_LABEL, WELL_KNOWN_PATH

MAX_SERVERS = 4
USER_AGENT = "Baton name proof"


def _endpoint(text: str, default_port: int) -> tuple[str, int]:
    """'192.0.2.1', '192.0.2.1:5353', '[2001:db8::1]:53' or '2001:db8::1'."""
    text = text.strip()
    if text.startswith("["):
        host, _, port = text[1:].partition("]")
        return host, int(port.lstrip(":") or default_port)
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, default_port


def _resolver() -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver()
    resolver.lifetime = settings.BATON_NAME_PROOF_TIMEOUT * 2
    return resolver


def _addresses_of(host: str, resolver: dns.resolver.Resolver) -> list[str]:
    found: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            found += [rdata.address for rdata in resolver.resolve(host, rdtype)]
        except dns.exception.DNSException:
            continue
    return found


def authoritative_servers(name: str) -> list[tuple[str, int]]:
    """The configured servers, or the name's zone's own name servers (their addresses, at most four)."""
    if settings.BATON_NAME_PROOF_NAMESERVERS:
        return [_endpoint(server, 53) for server in settings.BATON_NAME_PROOF_NAMESERVERS]
    resolver = _resolver()
    zone = dns.resolver.zone_for_name(name, resolver=resolver)
    servers: list[tuple[str, int]] = []
    for ns in sorted(str(rdata.target) for rdata in resolver.resolve(zone, "NS")):
        servers += [(address, 53) for address in _addresses_of(ns, resolver)]
    return servers[:MAX_SERVERS]


def _txt_strings(response: dns.message.Message) -> list[str]:
    return [
        b"".join(rdata.strings).decode("utf-8", "replace")
        for rrset in response.answer
        if rrset.rdtype == dns.rdatatype.TXT
        for rdata in rrset
    ]


def check_txt(name: str, token: str) -> str | None:
    """Whether an authoritative server of `name` answers `_baton-challenge.<name>` TXT with the token."""
    record = f"{CHALLENGE_LABEL}.{name}"
    try:
        servers = authoritative_servers(name)
    except dns.exception.DNSException:
        return f"Could not find the name servers of {name}."
    if not servers:
        return f"Could not find the name servers of {name}."
    reason = f"No TXT record {record} with the token was found."
    for address, port in servers:
        query = dns.message.make_query(f"{record}.", "TXT")
        try:
            response, _ = dns.query.udp_with_fallback(query, address, settings.BATON_NAME_PROOF_TIMEOUT, port=port)
        except (dns.exception.DNSException, OSError):
            reason = f"A name server of {name} did not answer; try again later."
            continue
        if not response.flags & dns.flags.AA:
            reason = f"A name server of {name} does not answer for it with authority."
            continue
        if token in _txt_strings(response):
            return None
    return reason


def _http_targets(name: str) -> list[tuple[str, int]]:
    if settings.BATON_NAME_PROOF_HTTP_ADDRESS:
        return [_endpoint(settings.BATON_NAME_PROOF_HTTP_ADDRESS, 80)]
    try:
        infos = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
    except OSError:
        return []
    # The panel fetches from whatever the name points to: never from its own network.
    addresses = sorted({str(info[4][0]) for info in infos})
    return [(address, 80) for address in addresses if ipaddress.ip_address(address).is_global][:MAX_SERVERS]


def check_http(name: str, token: str) -> str | None:
    """Whether http://<name>/.well-known/baton-challenge/<token> answers 200 with the token (no redirects)."""
    targets = _http_targets(name)
    if not targets:
        return f"{name} has no public address to fetch the token from."
    reason = f"http://{name}{WELL_KNOWN_PATH}<token> did not answer with the token."
    for address, port in targets:
        connection = http.client.HTTPConnection(address, port, timeout=settings.BATON_NAME_PROOF_TIMEOUT)
        try:
            connection.request("GET", f"{WELL_KNOWN_PATH}{token}", headers={"Host": name, "User-Agent": USER_AGENT})
            response = connection.getresponse()
            body = response.read(512)
        except (OSError, http.client.HTTPException):
            reason = f"http://{name}/ did not answer."
            continue
        finally:
            connection.close()
        if response.status == 200 and body.decode("utf-8", "replace").strip() == token:
            return None
    return reason
