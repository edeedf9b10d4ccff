"""Websites through the API: what is created (the site, its domains, its directory and the account's own unix user
through the users service), hostile input refused naming the field, domains one site's only, DNS following,
tenancy, suspension and deletion, and what the web service renders."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from panel.accounts.models import Account, User
from panel.accounts.services import account_disable, account_enable
from panel.dns.models import Record
from panel.dns.services import zone_create
from panel.provisioning import registry
from panel.provisioning.models import ChangeSet, ChangeSetItem
from panel.servers.models import Server
from panel.systemusers.models import SystemUser
from panel.web.models import Website, WebsiteDomain
from tests.provisioning.specs import role_spec_errors

pytestmark = pytest.mark.django_db
URL = "/api/websites/"


def _create(client: APIClient, **body: Any) -> Any:
    return client.post(URL, {"name": "shop", "domains": ["shop.example", "www.shop.example"], **body}, format="json")


def _render(server: Server) -> dict[str, Any]:
    spec = registry.get("web")
    return spec.render(spec.load(server))


def test_a_site_brings_its_pool_vhost_directory_and_the_accounts_user(
    client_a: APIClient, account_a: Account, web_server: Server
) -> None:
    response = _create(client_a, domains=["Shop.Example.", "www.shop.example"])
    assert response.status_code == 201, response.data
    body = response.data
    assert (body["name"], body["domains"], body["php"], body["https"], body["server"]) == (
        "shop", ["shop.example", "www.shop.example"], "fpm", "off", "web1",
    )  # fmt: skip
    assert body["document_root"] == "/srv/baton/alice/web/shop/public"
    web = ChangeSet.objects.get(pk=body["change_set"])
    assert web.service == "web" and web.items.get().scope == "site:alice-shop pool:alice"
    users = ChangeSet.objects.get(server=web_server, service="users")
    assert users.items.get().object_repr == "alice"  # the account's own user, created now
    assert SystemUser.objects.get(account=account_a, is_main=True).name == "alice"
    rendered = _render(web_server)
    assert rendered["php_fpm__host_pools"] == [
        {"name": "alice", "account": "alice", "user": "alice", "group": "alice", "state": "present",
         "unit": "pool:alice"}
    ]  # fmt: skip
    [site] = rendered["apache__host_sites"]
    assert (site["name"], site["dir"], site["domains"], site["php_pool"], site["active"]) == (
        "alice-shop", "shop", ["shop.example", "www.shop.example"], "alice", True,
    )  # fmt: skip
    assert role_spec_errors("apache", {"apache__host_sites": rendered["apache__host_sites"]}) == []
    assert role_spec_errors("php_fpm", {"php_fpm__host_pools": rendered["php_fpm__host_pools"]}) == []
    users_spec = registry.get("users")
    [account] = users_spec.render(users_spec.load(web_server))["users__host_accounts"]
    assert account["sites"] == ["shop"]


HOSTILE = [
    ({"name": "../etc"}, "name"),
    ({"name": "Shop"}, "name"),
    ({"name": "a" * 31}, "name"),
    ({"name": "-shop"}, "name"),
    ({"domains": []}, "domains"),
    ({"domains": ["shop.example\nInclude /etc/shadow"]}, "domains"),
    ({"domains": ["shop example"]}, "domains"),
    ({"domains": ["localhost"]}, "domains"),
    ({"domains": ["default.baton.invalid"]}, "domains"),  # the servers' neutral default vhost
    ({"domains": ["shop.example", "www.shop.localhost"]}, "domains"),
    ({"domains": ["shop.example", "SHOP.example"]}, "domains"),
    ({"domains": "shop.example"}, "domains"),
    ({"php": "cgi"}, "php"),
    ({"https": "always"}, "https"),  # on without a certificate: 409, see test_website_certificates.py
]


@pytest.mark.parametrize(("change", "field"), HOSTILE, ids=[str(c) for c, _ in HOSTILE])
def test_hostile_input_is_refused_naming_the_field_and_nothing_is_requested(
    client_a: APIClient, web_server: Server, change: dict[str, Any], field: str
) -> None:
    response = _create(client_a, **change)
    assert response.status_code == 400, response.data
    assert list(response.data["fields"]) == [field], response.data
    assert not Website.objects.exists() and not ChangeSet.objects.exists()


def test_a_domain_is_one_sites_only_across_accounts(
    client_a: APIClient, client_b: APIClient, account_b: Account, web_server: Server
) -> None:
    assert _create(client_b, name="bobshop", domains=["bob.example", "www.shop.example"]).status_code == 201
    taken = _create(client_a)  # www.shop.example is bob's (panel.core.names)
    assert (taken.status_code, taken.data["code"], list(taken.data["fields"])) == (409, "name_owned", ["domains"])
    assert "bob" not in taken.data["detail"]  # the other account's site is not named
    assert not Website.objects.filter(account__handle="alice").exists()
    again = _create(client_b, name="bobshop", domains=["other.example"])
    assert (again.status_code, again.data["code"], list(again.data["fields"])) == (409, "taken", ["name"])


def test_update_domains_and_php_but_never_the_name(client_a: APIClient, web_server: Server) -> None:
    site = _create(client_a).data
    changed = client_a.patch(f"{URL}{site['id']}/", {"domains": ["shop.example"], "php": "off"}, format="json")
    assert changed.status_code == 200 and (changed.data["domains"], changed.data["php"]) == (["shop.example"], "off")
    assert not WebsiteDomain.objects.filter(name="www.shop.example").exists()
    assert _render(web_server)["php_fpm__host_pools"] == []  # no PHP site left: no pool
    renamed = client_a.patch(f"{URL}{site['id']}/", {"name": "blog"}, format="json")
    assert (renamed.status_code, list(renamed.data["fields"])) == (400, ["name"])


def test_the_sites_a_record_follows_in_a_hosted_zone(
    client_a: APIClient, account_a: Account, web_server: Server, dns_servers: tuple[Server, Server]
) -> None:
    Server.objects.filter(pk=web_server.pk).update(service_address="192.0.2.80")
    zone, _ = zone_create(account=account_a, name="shop.example", actor=None)
    assert _create(client_a).status_code == 201
    assert sorted(Record.objects.filter(zone=zone, type="A").values_list("name", "value")) == [
        ("@", "192.0.2.80"),
        ("www", "192.0.2.80"),
    ]


def test_a_server_behind_nat_publishes_its_public_addresses(
    client_a: APIClient, staff_client: APIClient, account_a: Account, web_server: Server,
    dns_servers: tuple[Server, Server],
) -> None:  # fmt: skip
    Server.objects.filter(pk=web_server.pk).update(service_address="10.0.0.80")  # its private address
    public = {"public_ipv4": "203.0.113.80", "public_ipv6": "2001:DB8::80"}
    response = staff_client.patch(f"/api/servers/{web_server.pk}/", public, format="json")
    assert response.status_code == 200, response.data
    assert (response.data["public_ipv4"], response.data["public_ipv6"]) == ("203.0.113.80", "2001:db8::80")
    zone, _ = zone_create(account=account_a, name="shop.example", actor=None)
    assert _create(client_a).status_code == 201
    assert sorted(Record.objects.filter(zone=zone, type__in=["A", "AAAA"]).values_list("name", "type", "value")) == [
        ("@", "A", "203.0.113.80"),
        ("@", "AAAA", "2001:db8::80"),
        ("www", "A", "203.0.113.80"),
        ("www", "AAAA", "2001:db8::80"),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("public_ipv4", "2001:db8::1"), ("public_ipv4", "999.1.1.1"), ("public_ipv6", "192.0.2.1"), ("public_ipv6", "x")],
)
def test_a_public_address_of_the_wrong_kind_is_refused(
    staff_client: APIClient, web_server: Server, field: str, value: str
) -> None:
    response = staff_client.patch(f"/api/servers/{web_server.pk}/", {field: value}, format="json")
    assert response.status_code == 400 and list(response.data["fields"]) == [field], response.data


def test_the_records_made_for_a_site_go_with_it_or_its_name_unless_edited(
    client_a: APIClient, account_a: Account, web_server: Server, dns_servers: tuple[Server, Server]
) -> None:
    Server.objects.filter(pk=web_server.pk).update(service_address="192.0.2.80")
    zone, _ = zone_create(account=account_a, name="shop.example", actor=None)
    site = _create(client_a, domains=["shop.example", "www.shop.example", "old.shop.example"]).data
    live = Record.objects.filter(zone=zone, type="A", pending_delete=False)
    assert sorted(live.values_list("name", flat=True)) == ["@", "old", "www"]
    mine = client_a.post("/api/records/", {"zone": zone.pk, "name": "blog", "type": "A", "value": "192.0.2.9"},
                         format="json").data  # fmt: skip
    www = live.get(name="www")
    edited = client_a.patch(f"/api/records/{www.pk}/", {"ttl": 600}, format="json")
    assert edited.status_code == 200, edited.data

    dropped = client_a.patch(f"{URL}{site['id']}/", {"domains": ["shop.example", "www.shop.example"]}, format="json")
    assert dropped.status_code == 200, dropped.data
    assert sorted(live.values_list("name", flat=True)) == ["@", "blog", "www"], "old's record went with its name"

    assert client_a.delete(f"{URL}{site['id']}/").status_code == 202
    # The apex record went with the site; the edited www and the customer's own blog record stay.
    assert sorted(live.values_list("name", flat=True)) == ["blog", "www"]
    assert Record.objects.get(pk=mine["id"]).follows == ""


def test_customers_see_and_change_only_their_own_sites(
    client_a: APIClient, client_b: APIClient, web_server: Server
) -> None:
    site = _create(client_a).data
    assert client_b.get(URL).data["count"] == 0
    assert client_b.get(f"{URL}{site['id']}/").status_code == 404
    assert client_b.patch(f"{URL}{site['id']}/", {"php": "off"}, format="json").status_code == 404
    assert client_b.delete(f"{URL}{site['id']}/").status_code == 404
    on_a = _create(client_b, name="x", domains=["x.example"], account=site["account"])
    assert (on_a.status_code, list(on_a.data["fields"])) == (400, ["account"])
    assert Website.objects.get(pk=site["id"]).php == "fpm"


def test_a_disabled_account_or_site_answers_503_and_enable_restores(
    client_a: APIClient, account_a: Account, staff: User, web_server: Server
) -> None:
    site = _create(client_a).data
    _, change_sets = account_disable(account=account_a, actor=staff)
    assert {cs.service for cs in change_sets} >= {"web", "users"}
    assert [s["active"] for s in _render(web_server)["apache__host_sites"]] == [False]
    refused = client_a.patch(f"{URL}{site['id']}/", {"php": "off"}, format="json")
    assert (refused.status_code, refused.data["code"]) == (409, "account_disabled")
    account_enable(account=account_a, actor=staff)
    assert [s["active"] for s in _render(web_server)["apache__host_sites"]] == [True]
    client_a.patch(f"{URL}{site['id']}/", {"is_enabled": False}, format="json")
    assert [s["active"] for s in _render(web_server)["apache__host_sites"]] == [False]


def test_delete_renders_the_vhost_absent_then_the_site_goes(client_a: APIClient, web_server: Server) -> None:
    site = _create(client_a).data
    deleted = client_a.delete(f"{URL}{site['id']}/")
    assert deleted.status_code == 202
    assert _render(web_server)["apache__host_sites"] == [
        {
            "name": "alice-shop",
            "account": "alice",
            "domains": ["shop.example", "www.shop.example"],  # asked after the run: no longer served
            "state": "absent",
            "unit": "site:alice-shop",
        }
    ]
    items = list(ChangeSetItem.objects.filter(change_set_id=deleted.data["change_set"]))
    ChangeSetItem.objects.filter(pk__in=[i.pk for i in items]).update(outcome="applied")
    ChangeSet.objects.filter(pk=deleted.data["change_set"]).update(state="applied")
    registry.get("web").settle(items)
    assert not Website.objects.filter(pk=site["id"]).exists()
    assert not WebsiteDomain.objects.exists()  # its domains are free again


def test_no_web_server_is_a_conflict(client_a: APIClient) -> None:
    response = _create(client_a)
    assert (response.status_code, response.data["code"]) == (409, "no_server")
