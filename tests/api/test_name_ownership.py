"""A name belongs to its tenant: B holds the zone `b.example` (and the mail domain `mx.b.example`, the site name
`shop.b-ext.example` outside any hosted zone); A's website, website alias, mail domain and zone for any of those
names, for any name below them, in any spelling of them, are refused with 409 `name_owned` naming the field and
never naming B; B's own creates for the same names work."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from panel.accounts.models import Account
from panel.dns.models import Zone
from panel.mail.models import MailDomain
from panel.servers.models import Server
from panel.web.models import Website

pytestmark = pytest.mark.django_db

# Every spelling of a name of B's: its apex, below its zone, below its mail domain and below its external site
# name, in capitals, with a trailing dot, in Unicode for a punycode name, with a zero-width space inside.
SPELLINGS = [
    "b.example",
    "www.b.example",
    "deep.shop.b.example",
    "x.mx.b.example",
    "B.Example",
    "b.example.",
    "www.b.example.",
    "b\u200b.example",
    "münchen.example",
    "www.xn--mnchen-3ya.example",
    "shop.b-ext.example",
    "a.shop.b-ext.example",
]


@pytest.fixture
def b_holds_names(
    client_b: APIClient, account_b: Account, dns_servers: Any, mail_server: Server, web_server: Server
) -> None:
    for name in ("b.example", "xn--mnchen-3ya.example"):
        assert client_b.post("/api/zones/", {"name": name}, format="json").status_code == 201
    assert client_b.post("/api/mail/domains/", {"name": "mx.b.example"}, format="json").status_code == 201
    site = {"name": "ext", "domains": ["shop.b-ext.example"]}
    assert client_b.post("/api/websites/", site, format="json").status_code == 201


def _refused(response: Any, field: str) -> None:
    assert response.status_code in {400, 409}, (response.status_code, response.data)
    assert field in response.data["fields"], response.data
    text = str(response.data)
    assert "bob" not in text.lower() and "account_b" not in text.lower(), "never says who holds it"
    if response.status_code == 409:
        assert response.data["code"] == "name_owned", response.data


@pytest.mark.parametrize("name", SPELLINGS)
def test_a_cannot_take_a_name_of_b_for_a_website(client_a: APIClient, b_holds_names: None, name: str) -> None:
    _refused(client_a.post("/api/websites/", {"name": "site", "domains": [name]}, format="json"), "domains")
    alias = {"name": "site", "domains": ["a-own.example", name]}
    _refused(client_a.post("/api/websites/", alias, format="json"), "domains")
    assert not Website.objects.filter(name="site").exists()


@pytest.mark.parametrize("name", SPELLINGS)
def test_a_cannot_add_a_name_of_b_to_its_site(
    client_a: APIClient, b_holds_names: None, web_server: Server, name: str
) -> None:
    site = client_a.post("/api/websites/", {"name": "site", "domains": ["a-own.example"]}, format="json").data
    response = client_a.patch(f"/api/websites/{site['id']}/", {"domains": ["a-own.example", name]}, format="json")
    _refused(response, "domains")
    assert client_a.get(f"/api/websites/{site['id']}/").data["domains"] == ["a-own.example"]


@pytest.mark.parametrize("name", SPELLINGS)
def test_a_cannot_take_a_name_of_b_for_a_mail_domain(client_a: APIClient, b_holds_names: None, name: str) -> None:
    _refused(client_a.post("/api/mail/domains/", {"name": name}, format="json"), "name")
    assert MailDomain.objects.filter(account__handle="alice").count() == 0


@pytest.mark.parametrize("name", [*SPELLINGS, "example", "b-ext.example"])
def test_a_cannot_make_a_zone_of_or_above_a_name_of_b(client_a: APIClient, b_holds_names: None, name: str) -> None:
    _refused(client_a.post("/api/zones/", {"name": name}, format="json"), "name")
    assert not Zone.objects.filter(account__handle="alice").exists()


def test_b_still_creates_its_own_names(client_b: APIClient, b_holds_names: None) -> None:
    site = {"name": "www", "domains": ["b.example", "www.b.example", "deep.shop.b.example", "www.münchen.example"]}
    response = client_b.post("/api/websites/", site, format="json")
    assert response.status_code == 201, response.data
    assert client_b.post("/api/mail/domains/", {"name": "B.Example."}, format="json").status_code == 201
    response = client_b.post("/api/websites/", {"name": "more", "domains": ["a.shop.b-ext.example"]}, format="json")
    assert response.status_code == 201, response.data


def test_names_of_nobody_are_free_and_a_names_are_as(
    client_a: APIClient, client_b: APIClient, b_holds_names: None
) -> None:
    assert client_a.post("/api/zones/", {"name": "a.example"}, format="json").status_code == 201
    site = {"name": "www", "domains": ["a.example", "other.example"]}
    assert client_a.post("/api/websites/", site, format="json").status_code == 201
    # Now B may not take A's names either, nor make a zone over A's external site name.
    _refused(client_b.post("/api/mail/domains/", {"name": "www.a.example"}, format="json"), "name")
    _refused(client_b.post("/api/zones/", {"name": "other.example"}, format="json"), "name")


def test_staff_may_give_a_name_of_b_to_a_explicitly_and_it_is_audited(
    client_a: APIClient, staff_client: APIClient, account_a: Account, b_holds_names: None
) -> None:
    from django.contrib.contenttypes.models import ContentType

    from panel.core.models import ObjectChange

    body = {"name": "site", "domains": ["www.b.example"], "allow_foreign_name": True}
    refused = client_a.post("/api/websites/", body, format="json")
    assert refused.status_code == 403, refused.data  # a customer cannot override
    created = staff_client.post("/api/websites/", {**body, "account": account_a.pk}, format="json")
    assert created.status_code == 201, created.data
    site = Website.objects.get(pk=created.data["id"])
    change = ObjectChange.objects.get(
        content_type=ContentType.objects.get_for_model(Website), object_id=str(site.pk), action="create"
    )
    assert change.after["name_override"] is True and change.actor.is_staff
    mail = staff_client.post(
        "/api/mail/domains/", {"name": "x.mx.b.example", "account": account_a.pk, "allow_foreign_name": True},
        format="json",
    )  # fmt: skip
    assert mail.status_code == 201, mail.data
    without = staff_client.post("/api/mail/domains/", {"name": "y.b.example", "account": account_a.pk}, format="json")
    assert (without.status_code, without.data["code"]) == (409, "name_owned"), "staff too, unless they say so"
