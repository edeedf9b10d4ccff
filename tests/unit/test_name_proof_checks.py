"""The checks behind name proofs, over real DNS and HTTP to servers on 127.0.0.1 standing for the outside world."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from panel.names import checks
from tests.outside import OutsideDns, OutsideWeb, outside_dns, outside_web

TOKEN = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def dns_server(settings: Any) -> Iterator[OutsideDns]:
    with outside_dns("outside.test") as server:
        settings.BATON_NAME_PROOF_NAMESERVERS = [server.address]
        settings.BATON_NAME_PROOF_TIMEOUT = 1
        yield server


@pytest.fixture
def web_server(settings: Any) -> Iterator[OutsideWeb]:
    with outside_web() as server:
        settings.BATON_NAME_PROOF_HTTP_ADDRESS = server.address
        settings.BATON_NAME_PROOF_TIMEOUT = 1
        yield server


def test_the_txt_record_with_the_token_proves_the_name(dns_server: OutsideDns) -> None:
    assert "No TXT record _baton-challenge.shop.outside.test" in (checks.check_txt("shop.outside.test", TOKEN) or "")
    dns_server.txt["_baton-challenge.shop.outside.test"] = ["another value", TOKEN]
    assert checks.check_txt("shop.outside.test", TOKEN) is None


def test_another_token_or_the_record_of_another_name_does_not(dns_server: OutsideDns) -> None:
    dns_server.txt["_baton-challenge.shop.outside.test"] = [TOKEN[:-1]]
    dns_server.txt["_baton-challenge.outside.test"] = [TOKEN]
    assert checks.check_txt("shop.outside.test", TOKEN) is not None
    dns_server.txt["shop.outside.test"] = [TOKEN]  # the name's own TXT, not the challenge's
    assert checks.check_txt("shop.outside.test", TOKEN) is not None


def test_an_answer_without_authority_does_not_count(dns_server: OutsideDns) -> None:
    dns_server.txt["_baton-challenge.elsewhere.test"] = [TOKEN]  # outside its zones: REFUSED, no authority
    assert "does not answer for it with authority" in (checks.check_txt("elsewhere.test", TOKEN) or "")


def test_a_silent_name_server_is_said_so(settings: Any) -> None:
    with outside_dns("outside.test") as server:
        address = server.address
    settings.BATON_NAME_PROOF_NAMESERVERS = [address]  # closed: nothing answers there
    settings.BATON_NAME_PROOF_TIMEOUT = 0.5
    assert "did not answer" in (checks.check_txt("shop.outside.test", TOKEN) or "")


def test_the_http_token_proves_the_name(web_server: OutsideWeb) -> None:
    assert checks.check_http("shop.outside.test", TOKEN) is not None
    web_server.files[("shop.outside.test", f"/.well-known/baton-challenge/{TOKEN}")] = f"{TOKEN}\n"
    assert checks.check_http("shop.outside.test", TOKEN) is None
    assert checks.check_http("other.outside.test", TOKEN) is not None  # served for another Host only


def test_a_page_that_is_not_the_token_does_not(web_server: OutsideWeb) -> None:
    web_server.files[("shop.outside.test", f"/.well-known/baton-challenge/{TOKEN}")] = f"<html>{TOKEN}</html>"
    assert checks.check_http("shop.outside.test", TOKEN) is not None


def test_without_an_address_setting_only_public_addresses_are_fetched(settings: Any) -> None:
    settings.BATON_NAME_PROOF_HTTP_ADDRESS = ""
    # localhost resolves to loopback only: the panel never fetches from its own network for a customer's name
    assert "no public address" in (checks.check_http("localhost", TOKEN) or "")


@pytest.mark.parametrize(
    ("text", "endpoint"),
    [
        ("192.0.2.1", ("192.0.2.1", 53)),
        ("192.0.2.1:5353", ("192.0.2.1", 5353)),
        ("[2001:db8::1]:54", ("2001:db8::1", 54)),
        ("2001:db8::1", ("2001:db8::1", 53)),
    ],
)
def test_name_server_settings(text: str, endpoint: tuple[str, int]) -> None:
    assert checks._endpoint(text, 53) == endpoint
