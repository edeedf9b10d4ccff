"""Names outside every zone hosted here: a website or mail domain for one waits (`unproven`, nothing goes to a
server) until its account proves the name, by a TXT record on the name's authoritative servers or, for websites,
an HTTP token. Real DNS and HTTP to servers on 127.0.0.1 standing for the outside world."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from panel.accounts.models import Account
from panel.mail.models import Address, MailDomain
from panel.mail.provisioning import load as load_mail
from panel.names.models import NameProof
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server
from panel.web.models import Website, WebsiteDomain
from panel.web.provisioning import load as load_web
from tests.outside import OutsideDns, OutsideWeb, outside_dns, outside_web

pytestmark = pytest.mark.django_db


@pytest.fixture
def outside(settings: Any) -> Iterator[tuple[OutsideDns, OutsideWeb]]:
    settings.BATON_PROVE_EXTERNAL_NAMES = True
    settings.BATON_NAME_PROOF_TIMEOUT = 1
    with outside_dns("outside.test") as dns_server, outside_web() as web:
        settings.BATON_NAME_PROOF_NAMESERVERS = [dns_server.address]
        settings.BATON_NAME_PROOF_HTTP_ADDRESS = web.address
        yield dns_server, web


def _publish_txt(client: APIClient, dns_server: OutsideDns, name: str) -> dict[str, Any]:
    [proof] = client.get("/api/names/", {"name": name}).data["results"]
    record = proof["txt_record"]
    dns_server.txt[record["name"]] = [record["value"]]
    return proof


def _check(client: APIClient, proof: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/names/{proof['id']}/check/")
    assert response.status_code == 200, response.data
    return response.data


def test_a_site_for_an_outside_name_waits_for_the_txt_proof_then_goes_live(
    client_a: APIClient, web_server: Server, outside: tuple[OutsideDns, OutsideWeb]
) -> None:
    dns_server, _ = outside
    response = client_a.post("/api/websites/", {"name": "shop", "domains": ["shop.outside.test"]}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["apply_state"] == "unproven"
    assert response.data["change_set"] is None
    assert response.data["unproven_domains"] == ["shop.outside.test"]
    assert not ChangeSet.objects.exists(), "nothing goes to a server before the proof"
    assert load_web(web_server).sites[0].absent, "the renderer serves none of its names"

    [proof] = client_a.get("/api/names/").data["results"]
    assert proof["name"] == "shop.outside.test" and not proof["proven"]
    assert proof["txt_record"]["name"] == "_baton-challenge.shop.outside.test"
    assert proof["http_token"]["url"].startswith("http://shop.outside.test/.well-known/baton-challenge/")
    assert proof["http_token"]["body"] == proof["txt_record"]["value"]

    checked = _check(client_a, proof)
    assert not checked["proven"] and "No TXT record" in checked["check_error"] and checked["change_sets"] == []
    assert Website.objects.get().apply_state == "unproven"

    _publish_txt(client_a, dns_server, "shop.outside.test")
    checked = _check(client_a, proof)
    assert checked["proven"] and checked["proven_by"] == "dns", checked
    [change_set] = checked["change_sets"]
    assert ChangeSet.objects.get(pk=change_set).service == "web"
    site = client_a.get(f"/api/websites/{response.data['id']}/").data
    assert site["apply_state"] == "pending" and site["unproven_domains"] == []
    [data] = load_web(web_server).sites
    assert data.domains == ("shop.outside.test",) and not data.absent


def test_a_published_record_proves_the_name_at_once_and_is_kept(
    client_a: APIClient, web_server: Server, mail_server: Server, outside: tuple[OutsideDns, OutsideWeb]
) -> None:
    dns_server, _ = outside
    proof = client_a.post("/api/names/", {"name": "Shop.Outside.Test."}, format="json")
    assert proof.status_code == 201, proof.data
    assert proof.data["name"] == "shop.outside.test"
    again = client_a.post("/api/names/", {"name": "shop.outside.test"}, format="json")
    assert again.data["txt_record"] == proof.data["txt_record"], "one challenge per account and name"
    _publish_txt(client_a, dns_server, "shop.outside.test")
    site = client_a.post("/api/websites/", {"name": "shop", "domains": ["shop.outside.test"]}, format="json").data
    assert site["apply_state"] == "pending" and site["change_set"] is not None
    queries = dns_server.queries
    mail = client_a.post("/api/mail/domains/", {"name": "shop.outside.test"}, format="json").data
    assert mail["apply_state"] == "pending" and mail["change_set"] is not None
    assert dns_server.queries == queries, "a recent proof is not checked again"


def test_the_http_token_proves_a_website_but_not_a_mail_domain(
    client_a: APIClient, web_server: Server, mail_server: Server, outside: tuple[OutsideDns, OutsideWeb]
) -> None:
    _, web = outside
    site = client_a.post("/api/websites/", {"name": "shop", "domains": ["shop.outside.test"]}, format="json").data
    domain = client_a.post("/api/mail/domains/", {"name": "shop.outside.test"}, format="json").data
    assert domain["apply_state"] == "unproven" and domain["change_set"] is None
    [proof] = client_a.get("/api/names/").data["results"]
    web.files[("shop.outside.test", f"/.well-known/baton-challenge/{proof['http_token']['body']}")] = proof[
        "http_token"
    ]["body"]
    checked = _check(client_a, proof)
    assert checked["proven_by"] == "http"
    assert client_a.get(f"/api/websites/{site['id']}/").data["apply_state"] == "pending"
    assert client_a.get(f"/api/mail/domains/{domain['id']}/").data["apply_state"] == "unproven"


def test_a_waiting_mail_domain_and_its_addresses_reach_no_server_until_proven(
    client_a: APIClient, account_a: Account, mail_server: Server, outside: tuple[OutsideDns, OutsideWeb]
) -> None:
    dns_server, _ = outside
    domain = client_a.post("/api/mail/domains/", {"name": "outside.test"}, format="json").data
    address = client_a.post(
        "/api/mail/addresses/", {"domain": domain["id"], "local_part": "info", "forwards": ["x@elsewhere.example"]},
        format="json",
    )  # fmt: skip
    assert address.status_code == 201, address.data
    assert address.data["apply_state"] == "unproven" and address.data["change_set"] is None
    data = load_mail(mail_server)
    assert data.domains == () and data.addresses == ()
    assert not ChangeSet.objects.exists()
    checked = _check(client_a, _publish_txt(client_a, dns_server, "outside.test"))
    assert checked["proven"] and len(checked["change_sets"]) == 1
    assert set(Address.objects.values_list("apply_state", flat=True)) == {"pending"}
    data = load_mail(mail_server)
    assert data.domains == (("outside.test", False),)
    assert [a.address for a in data.addresses] == ["info@outside.test"]


def test_names_in_a_zone_here_need_no_proof(
    client_a: APIClient, dns_servers: Any, web_server: Server, outside: tuple[OutsideDns, OutsideWeb]
) -> None:
    assert client_a.post("/api/zones/", {"name": "a-own.example"}, format="json").status_code == 201
    site = client_a.post("/api/websites/", {"name": "www", "domains": ["www.a-own.example"]}, format="json").data
    assert site["apply_state"] == "pending"
    refused = client_a.post("/api/names/", {"name": "www.a-own.example"}, format="json")
    assert refused.status_code == 409 and refused.data["code"] == "no_proof_needed"
    assert not NameProof.objects.exists()


def test_a_waiting_claim_never_blocks_the_name_s_owner(
    client_a: APIClient, client_b: APIClient, web_server: Server, mail_server: Server, dns_servers: Any,
    outside: tuple[OutsideDns, OutsideWeb],
) -> None:  # fmt: skip
    dns_server, _ = outside
    squat = client_a.post("/api/websites/", {"name": "squat", "domains": ["shop.outside.test"]}, format="json").data
    assert squat["apply_state"] == "unproven"
    client_a.post("/api/mail/domains/", {"name": "shop.outside.test"}, format="json")
    # B, the name's real owner, gets its own challenge, proves it and takes the name; A's waiting objects go.
    proof = client_b.post("/api/names/", {"name": "shop.outside.test"}, format="json").data
    assert proof["txt_record"]["value"] != NameProof.objects.get(account__handle="alice").token
    _publish_txt(client_b, dns_server, "shop.outside.test")
    site = client_b.post("/api/websites/", {"name": "shop", "domains": ["shop.outside.test"]}, format="json")
    assert site.status_code == 201 and site.data["apply_state"] == "pending", site.data
    mail = client_b.post("/api/mail/domains/", {"name": "shop.outside.test"}, format="json")
    assert mail.status_code == 201, mail.data
    assert not Website.objects.filter(account__handle="alice").exists()
    assert not MailDomain.objects.filter(account__handle="alice").exists()
    # A's proof cannot succeed with B's record, and A now meets B's name as B's.
    assert not _check(client_a, client_a.get("/api/names/").data["results"][0])["proven"]
    again = client_a.post("/api/websites/", {"name": "squat", "domains": ["shop.outside.test"]}, format="json")
    assert again.status_code == 409 and again.data["code"] == "name_owned"


def test_a_zone_made_here_takes_its_names_from_waiting_claims(
    client_a: APIClient, client_b: APIClient, web_server: Server, dns_servers: Any,
    outside: tuple[OutsideDns, OutsideWeb],
) -> None:  # fmt: skip
    client_a.post("/api/websites/", {"name": "squat", "domains": ["www.outside.test"]}, format="json")
    assert client_b.post("/api/zones/", {"name": "outside.test"}, format="json").status_code == 201
    assert not WebsiteDomain.objects.filter(website__account__handle="alice").exists()
    [proof] = client_a.get("/api/names/").data["results"]
    checked = _check(client_a, proof)
    assert not checked["proven"] and "another account" in checked["check_error"]
    assert "bob" not in str(checked)


def test_a_served_site_keeps_a_proven_name(
    client_a: APIClient, web_server: Server, dns_servers: Any, outside: tuple[OutsideDns, OutsideWeb]
) -> None:
    client_a.post("/api/zones/", {"name": "a-own.example"}, format="json")
    site = client_a.post("/api/websites/", {"name": "www", "domains": ["a-own.example"]}, format="json").data
    only_new = client_a.patch(f"/api/websites/{site['id']}/", {"domains": ["new.outside.test"]}, format="json")
    assert only_new.status_code == 409 and only_new.data["code"] == "name_unproven", only_new.data
    assert only_new.data["fields"] == {"domains": [only_new.data["detail"]]} or "domains" in only_new.data["fields"]
    both = client_a.patch(
        f"/api/websites/{site['id']}/", {"domains": ["a-own.example", "new.outside.test"]}, format="json"
    )
    assert both.status_code == 200 and both.data["unproven_domains"] == ["new.outside.test"], both.data
    [data] = load_web(web_server).sites
    assert data.domains == ("a-own.example",), "the waiting name is not served"


def test_proofs_are_the_account_s_own(
    client_a: APIClient, client_b: APIClient, staff_client: APIClient, account_a: Account,
    outside: tuple[OutsideDns, OutsideWeb],
) -> None:  # fmt: skip
    proof = client_a.post("/api/names/", {"name": "shop.outside.test"}, format="json").data
    assert client_b.get(f"/api/names/{proof['id']}/").status_code == 404
    assert client_b.post(f"/api/names/{proof['id']}/check/").status_code == 404
    assert client_b.delete(f"/api/names/{proof['id']}/").status_code == 404
    assert client_b.get("/api/names/").data["results"] == []
    assert (
        client_b.post("/api/names/", {"name": "x.outside.test", "account": account_a.pk}, format="json").status_code
        == 400
    )
    assert staff_client.get(f"/api/names/{proof['id']}/").status_code == 200
    assert client_a.delete(f"/api/names/{proof['id']}/").status_code == 204


@pytest.mark.parametrize(
    "name", ["", "-bad.outside.test", "a" * 300, "shop..outside.test", "sh op.outside.test", "*.outside.test", 7]
)
def test_bad_names_get_400_naming_the_field(
    client_a: APIClient, outside: tuple[OutsideDns, OutsideWeb], name: Any
) -> None:
    response = client_a.post("/api/names/", {"name": name}, format="json")
    assert response.status_code == 400, response.data
    assert "name" in response.data["fields"]


def test_staff_may_waive_the_proof_explicitly(
    staff_client: APIClient, account_a: Account, web_server: Server, outside: tuple[OutsideDns, OutsideWeb]
) -> None:
    body = {"name": "shop", "domains": ["shop.outside.test"], "account": account_a.pk, "allow_foreign_name": True}
    site = staff_client.post("/api/websites/", body, format="json")
    assert site.status_code == 201 and site.data["apply_state"] == "pending", site.data


def test_with_the_setting_off_every_name_is_served_at_once(
    client_a: APIClient, web_server: Server, settings: Any
) -> None:
    settings.BATON_PROVE_EXTERNAL_NAMES = False
    site = client_a.post("/api/websites/", {"name": "shop", "domains": ["shop.outside.test"]}, format="json").data
    assert site["apply_state"] == "pending" and site["unproven_domains"] == []


def test_checking_in_a_loop_is_throttled(
    client_a: APIClient, outside: tuple[OutsideDns, OutsideWeb], settings: Any
) -> None:
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    dns_server, _ = outside
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "name_check": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        proof = client_a.post("/api/names/", {"name": "shop.outside.test"}, format="json").data
        statuses = [client_a.post(f"/api/names/{proof['id']}/check/").status_code for _ in range(5)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert statuses == [200, 200, 200, 429, 429]
    assert dns_server.queries == 3, "a throttled check asks no name server"


def test_an_account_cannot_pile_up_waiting_names(
    client_a: APIClient, web_server: Server, outside: tuple[OutsideDns, OutsideWeb], settings: Any
) -> None:
    settings.BATON_NAME_PROOFS_WAITING_MAX = 2
    for i in range(2):
        assert client_a.post("/api/names/", {"name": f"n{i}.outside.test"}, format="json").status_code == 201
    refused = client_a.post("/api/names/", {"name": "n2.outside.test"}, format="json")
    assert refused.status_code == 409 and refused.data["code"] == "too_many_waiting", refused.data
    site = client_a.post("/api/websites/", {"name": "shop", "domains": ["n3.outside.test"]}, format="json")
    assert site.status_code == 409 and list(site.data["fields"]) == ["domains"], site.data
    again = client_a.post("/api/names/", {"name": "n0.outside.test"}, format="json")
    assert again.status_code == 201, "asking again for a name it waits for is no new one"
