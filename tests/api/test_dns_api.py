from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from panel.accounts.models import Account
from panel.core.errors import ValidationFailed
from panel.dns.models import Record, Zone
from panel.dns.services import zone_create
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server

pytestmark = pytest.mark.django_db


def test_writes_return_the_change_set_to_poll(client_a: APIClient, dns_servers: tuple[Server, Server]) -> None:
    created = client_a.post("/api/zones/", {"name": "Shop.Example"}, format="json")
    assert created.status_code == 201, created.data
    assert created.data["name"] == "shop.example" and created.data["apply_state"] == "pending"
    change_set = client_a.get(f"/api/changesets/{created.data['change_set']}/").data
    assert change_set["state"] == "pending" and change_set["server"] == "ns1"
    assert {item["object_repr"] for item in change_set["items"]} >= {"shop.example"}
    assert "error" not in change_set  # staff only

    record = client_a.post(
        "/api/records/", {"zone": created.data["id"], "name": "www", "type": "A", "value": "192.0.2.10"}, format="json"
    )
    assert record.status_code == 201 and record.data["change_set"] == created.data["change_set"]
    updated = client_a.patch(f"/api/records/{record.data['id']}/", {"value": "192.0.2.11"}, format="json")
    assert updated.status_code == 200 and updated.data["value"] == "192.0.2.11" and updated.data["change_set"]
    deleted = client_a.delete(f"/api/records/{record.data['id']}/")
    assert deleted.status_code == 202 and deleted.data["change_set"] == created.data["change_set"]
    assert client_a.get(f"/api/records/{record.data['id']}/").data["pending_delete"] is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "www", "type": "A", "value": "not-an-ip"}, "value"),
        ({"name": "www", "type": "A", "value": "192.0.2.1\n$INCLUDE /etc/shadow"}, "value"),
        ({"name": "www", "type": "TXT", "value": "bad\nline"}, "value"),
        ({"name": "w w", "type": "A", "value": "192.0.2.1"}, "name"),
        ({"name": "www", "type": "HINFO", "value": "x"}, "type"),
        ({"name": "www", "type": "A", "value": "192.0.2.1", "ttl": 5}, "ttl"),
        ({"name": "www", "type": "MX", "value": "99999 mail"}, "value"),
        ({"name": "www", "type": "CAA", "value": '0 issue "ca.example"; x'}, "value"),
        ({"name": "www", "type": "CNAME", "value": "{{ evil }}"}, "value"),
    ],
)
def test_bad_records_are_400_naming_the_field(
    client_a: APIClient, dns_servers: tuple[Server, Server], payload: dict[str, object], field: str
) -> None:
    zone_id = client_a.post("/api/zones/", {"name": "shop.example"}, format="json").data["id"]
    before = Record.objects.count()
    response = client_a.post("/api/records/", {"zone": zone_id, **payload}, format="json")
    assert response.status_code == 400, response.data
    assert field in response.data["fields"], response.data
    assert Record.objects.count() == before


def test_bad_and_taken_zone_names(client_a: APIClient, client_b: APIClient, dns_servers: tuple[Server, Server]) -> None:
    for bad in ["nodot", "-bad.example", "a" * 64 + ".example", "x.exa\nmple", "{{x}}.example", "a;b.example"]:
        response = client_a.post("/api/zones/", {"name": bad}, format="json")
        assert response.status_code == 400 and "name" in response.data["fields"], (bad, response.data)
    assert client_a.post("/api/zones/", {"name": "shop.example"}, format="json").status_code == 201
    taken = client_b.post("/api/zones/", {"name": "www.shop.example"}, format="json")
    assert taken.status_code == 409 and taken.data["fields"] == {"name": [taken.data["fields"]["name"][0]]}
    assert Zone.objects.count() == 1


def test_a_customer_polling_a_shared_change_set_sees_only_its_own_items(
    client_a: APIClient, client_b: APIClient, account_b: Account, dns_servers: tuple[Server, Server]
) -> None:
    a = client_a.post("/api/zones/", {"name": "alice.example"}, format="json").data
    b = client_b.post("/api/zones/", {"name": "bob.example"}, format="json").data
    assert a["change_set"] == b["change_set"]  # coalesced: one run for both
    seen = {item["object_repr"] for item in client_b.get(f"/api/changesets/{b['change_set']}/").data["items"]}
    assert "bob.example" in seen and "alice.example" not in seen
    assert ChangeSet.objects.get(pk=b["change_set"]).items.filter(account_ref=account_b.pk).count() == 3


def test_zone_cannot_be_renamed_or_moved(
    client_a: APIClient, account_b: Account, dns_servers: tuple[Server, Server]
) -> None:
    zone = client_a.post("/api/zones/", {"name": "shop.example"}, format="json").data
    assert client_a.patch(f"/api/zones/{zone['id']}/", {"name": "other.example"}, format="json").status_code == 400
    assert client_a.patch(f"/api/zones/{zone['id']}/", {"account": account_b.pk}, format="json").status_code == 400
    assert Zone.objects.get().name == "shop.example"


@pytest.mark.parametrize(
    ("rtype", "value"),
    [
        ("NS", "nsmissing"),
        ("MX", "10 mail"),
        ("SRV", "10 5 5060 sip"),
        ("CNAME", "nowhere"),
        ("MX", "10 mx.shop.example."),
    ],
)
def test_an_in_zone_target_without_an_address_is_400_naming_value(
    client_a: APIClient, dns_servers: tuple[Server, Server], rtype: str, value: str
) -> None:
    """named-checkzone would refuse the whole zone on the server; the panel knows it first."""
    zone_id = client_a.post("/api/zones/", {"name": "shop.example"}, format="json").data["id"]
    response = client_a.post(
        "/api/records/",
        {"zone": zone_id, "name": "@" if rtype != "CNAME" else "www", "type": rtype, "value": value},
        format="json",
    )
    assert response.status_code == 400, response.data
    assert set(response.data) == {"detail", "code", "fields"} and "value" in response.data["fields"]
    assert response.data["code"] == "dangling_target"


def test_in_zone_targets_with_an_address_outside_ones_and_wildcards_are_fine(
    client_a: APIClient, dns_servers: tuple[Server, Server]
) -> None:
    zone_id = client_a.post("/api/zones/", {"name": "shop.example"}, format="json").data["id"]
    for name, rtype, value in [
        ("mail", "A", "192.0.2.25"),
        ("@", "MX", "10 mail"),
        ("@", "MX", "20 mail.shop.example."),
        ("@", "MX", "30 mx.elsewhere.example."),
        ("*.dyn", "AAAA", "2001:db8::1"),
        ("_sip._tcp", "SRV", "10 5 5060 host.dyn"),
        ("www", "CNAME", "mail"),
    ]:
        response = client_a.post(
            "/api/records/", {"zone": zone_id, "name": name, "type": rtype, "value": value}, format="json"
        )
        assert response.status_code == 201, (name, rtype, response.data)


def test_deleting_the_address_an_in_zone_target_needs_is_409(
    client_a: APIClient, dns_servers: tuple[Server, Server]
) -> None:
    zone_id = client_a.post("/api/zones/", {"name": "shop.example"}, format="json").data["id"]
    address = client_a.post(
        "/api/records/", {"zone": zone_id, "name": "mail", "type": "A", "value": "192.0.2.25"}, format="json"
    )
    client_a.post("/api/records/", {"zone": zone_id, "name": "@", "type": "MX", "value": "10 mail"}, format="json")
    response = client_a.delete(f"/api/records/{address.data['id']}/")
    assert response.status_code == 409 and response.data["code"] == "target_in_use", response.data
    renamed = client_a.patch(f"/api/records/{address.data['id']}/", {"name": "mx"}, format="json")
    assert renamed.status_code == 409, renamed.data
    assert Record.objects.get(pk=address.data["id"]).name == "mail"


def test_zone_created_with_its_timers(client_a: APIClient, dns_servers: tuple[Server, Server]) -> None:
    timers = {"ttl": 300, "soa_refresh": 7200, "soa_retry": 900, "soa_expire": 2419200, "soa_minimum": 600}
    response = client_a.post("/api/zones/", {"name": "timers.example", **timers}, format="json")
    assert response.status_code == 201, response.data
    assert {name: response.data[name] for name in timers} == timers
    zone = Zone.objects.get(name="timers.example")
    assert {name: getattr(zone, name) for name in timers} == timers


@pytest.mark.parametrize(
    ("field", "value"),
    [("ttl", 59), ("ttl", 604801), ("soa_refresh", 0), ("soa_retry", -1), ("soa_expire", 3600), ("soa_minimum", 2**40)],
)
def test_zone_timers_out_of_range_are_400_naming_the_field(
    client_a: APIClient, dns_servers: tuple[Server, Server], field: str, value: int
) -> None:
    response = client_a.post("/api/zones/", {"name": "timers.example", field: value}, format="json")
    assert response.status_code == 400, response.data
    assert list(response.data["fields"]) == [field]
    assert not Zone.objects.filter(name="timers.example").exists()
    zone = client_a.post("/api/zones/", {"name": "timers.example"}, format="json").data
    update = client_a.patch(f"/api/zones/{zone['id']}/", {field: value}, format="json")
    assert update.status_code == 400 and list(update.data["fields"]) == [field]


def test_zone_timers_are_checked_by_the_service_too(account_a: Account, dns_servers: tuple[Server, Server]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        zone_create(account=account_a, name="timers.example", ttl=10, actor=None)
    assert refused.value.fields == {"ttl": ["Must be a whole number of seconds from 60 to 604800."]}
    with pytest.raises(ValidationFailed):
        zone_create(account=account_a, name="timers.example", serial=1, actor=None)  # type: ignore[arg-type]
    zone, _ = zone_create(account=account_a, name="timers.example", soa_retry=120, actor=None)
    assert (zone.soa_retry, zone.ttl) == (120, 3600)


def test_zone_writes_answer_with_the_record_count(client_a: APIClient, dns_servers: tuple[Server, Server]) -> None:
    created = client_a.post("/api/zones/", {"name": "count.example"}, format="json").data
    assert created["record_count"] == 2  # the two NS records
    patched = client_a.patch(f"/api/zones/{created['id']}/", {"ttl": 600}, format="json")
    assert patched.status_code == 200 and patched.data["record_count"] == 2
    put = client_a.put(f"/api/zones/{created['id']}/", {"name": "count.example", "ttl": 900}, format="json")
    assert put.status_code == 200 and put.data["record_count"] == 2 and put.data["ttl"] == 900
