from __future__ import annotations

import pytest

from panel.accounts.models import Account, User
from panel.core.errors import Conflict, NotFound, ValidationFailed
from panel.dns.models import Record, Zone
from panel.dns.services import record_create, record_delete, record_update, zone_create, zone_delete, zone_update
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server

pytestmark = pytest.mark.django_db


def test_zone_gets_default_records_and_a_change_set_per_server(
    account_a: Account, customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    zone, change_set = zone_create(account=account_a, name="Shop.Example.", actor=customer_a)
    assert zone.name == "shop.example"
    assert zone.primary == dns_servers[0]
    assert sorted(zone.records.values_list("type", "value")) == [
        ("NS", "ns1.baton.invalid."),
        ("NS", "ns2.baton.invalid."),
    ]
    assert change_set.server == dns_servers[0] and change_set.state == "pending"
    assert set(ChangeSet.objects.values_list("server__name", flat=True)) == {"ns1", "ns2"}
    assert zone.apply_state == "pending"
    assert str(zone.serial).startswith(change_set.created_at.strftime("%Y%m%d"))


def test_a_burst_of_changes_joins_one_change_set_and_bumps_the_serial_once(
    account_a: Account, customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    zone, first = zone_create(account=account_a, name="shop.example", actor=customer_a)
    serial = Zone.objects.get(pk=zone.pk).serial
    change_sets = {
        record_create(zone=zone, name=f"h{i}", type="A", value=f"192.0.2.{i}", actor=customer_a)[1].pk for i in range(5)
    }
    assert change_sets == {first.pk}
    assert ChangeSet.objects.filter(state="pending").count() == 2  # primary and secondary
    assert Zone.objects.get(pk=zone.pk).serial == serial
    assert first.items.count() == 8  # the zone, its 2 NS records and 5 new records


def test_zone_names_belong_to_one_account_only(
    account_a: Account, account_b: Account, customer_a: User, customer_b: User, dns_servers: tuple[Server, Server]
) -> None:
    zone_create(account=account_a, name="shop.example", actor=customer_a)
    for name in ["shop.example", "www.shop.example", "deep.sub.shop.example"]:
        with pytest.raises(Conflict) as excinfo:
            zone_create(account=account_b, name=name, actor=customer_b)
        assert excinfo.value.fields == {"name": [excinfo.value.message]}
    zone_create(account=account_b, name="other.example", actor=customer_b)
    with pytest.raises(Conflict):
        zone_create(account=account_a, name="sub.other.example", actor=customer_a)


def test_no_dns_server_placed_is_a_conflict(account_a: Account, customer_a: User) -> None:
    with pytest.raises(Conflict) as excinfo:
        zone_create(account=account_a, name="shop.example", actor=customer_a)
    assert excinfo.value.code == "no_server"
    assert not Zone.objects.exists()


@pytest.mark.parametrize(
    ("name", "rtype", "value", "field"),
    [
        ("www", "A", "999.1.1.1", "value"),
        ("www", "AAAA", "192.0.2.1", "value"),
        ("bad name", "A", "192.0.2.1", "name"),
        ("www", "TXT", "line\nbreak", "value"),
        ("www", "MX", "10 mail; rm -rf", "value"),
        ("www", "CNAME", "target.example.\n$INCLUDE /etc/passwd", "value"),
        ("www", "A", "{{ lookup('pipe','id') }}", "value"),
        ("www", "SPF", "v=spf1", "type"),
        ("www.other.example.", "A", "192.0.2.1", "name"),
        ("@", "CNAME", "elsewhere.example.", "type"),
    ],
)
def test_bad_records_name_the_field_and_change_nothing(
    account_a: Account,
    customer_a: User,
    dns_servers: tuple[Server, Server],
    name: str,
    rtype: str,
    value: str,
    field: str,
) -> None:
    zone, _ = zone_create(account=account_a, name="shop.example", actor=customer_a)
    before = Record.objects.count()
    with pytest.raises(ValidationFailed) as excinfo:
        record_create(zone=zone, name=name, type=rtype, value=value, actor=customer_a)
    assert field in excinfo.value.fields, excinfo.value.fields
    assert Record.objects.count() == before


def test_cname_is_exclusive_and_duplicates_are_refused(
    account_a: Account, customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    zone, _ = zone_create(account=account_a, name="shop.example", actor=customer_a)
    record_create(zone=zone, name="www", type="A", value="192.0.2.1", actor=customer_a)
    with pytest.raises(ValidationFailed):
        record_create(zone=zone, name="www", type="CNAME", value="@", actor=customer_a)
    with pytest.raises(ValidationFailed) as excinfo:
        record_create(zone=zone, name="www", type="A", value="192.0.2.1", actor=customer_a)
    assert "value" in excinfo.value.fields


def test_update_and_delete_mark_pending(
    account_a: Account, customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    zone, _ = zone_create(account=account_a, name="shop.example", actor=customer_a)
    record, _ = record_create(zone=zone, name="www", type="A", value="192.0.2.1", actor=customer_a)
    record, _ = record_update(record=record, value="192.0.2.2", actor=customer_a)
    assert Record.objects.get(pk=record.pk).value == "192.0.2.2"
    record_delete(record=record, actor=customer_a)
    assert Record.objects.get(pk=record.pk).pending_delete
    zone, _ = zone_update(zone=zone, ttl=600, actor=customer_a)
    with pytest.raises(ValidationFailed) as excinfo:
        zone_update(zone=zone, ttl=5, actor=customer_a)
    assert "ttl" in excinfo.value.fields
    zone_delete(zone=zone, actor=customer_a)
    assert Zone.objects.get(pk=zone.pk).pending_delete
    with pytest.raises(Conflict):
        record_create(zone=zone, name="x", type="A", value="192.0.2.9", actor=customer_a)


def test_customers_cannot_touch_other_accounts_zones(
    account_a: Account, customer_a: User, customer_b: User, dns_servers: tuple[Server, Server]
) -> None:
    with pytest.raises(NotFound):
        zone_create(account=account_a, name="shop.example", actor=customer_b)
    zone, _ = zone_create(account=account_a, name="shop.example", actor=customer_a)
    with pytest.raises(NotFound):
        record_create(zone=zone, name="x", type="A", value="192.0.2.9", actor=customer_b)
    with pytest.raises(NotFound):
        zone_delete(zone=zone, actor=customer_b)
