"""The DNS renderer: deterministic, golden-file tested, accepted by the bind9 role's argument specs, and
every customer string tagged !unsafe."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from panel.provisioning import hostvars, registry
from panel.provisioning.hostvars.dns import DnsServerData, RecordData, SoaData, ZoneData, render
from tests.provisioning.specs import role_spec_errors

GOLDEN = Path(__file__).parent / "golden"
SOA = SoaData("ns1.baton.invalid.", "hostmaster.baton.invalid.", 3600, 600, 1209600, 300)
ZONES = (
    ZoneData(
        "shop.example",
        2026112103,
        3600,
        SOA,
        (
            RecordData("www", "CNAME", "@"),
            RecordData("@", "A", "192.0.2.10", ttl=300),
            RecordData("@", "TXT", 'v=spf1 mx -all "quoted" {{ lookup("pipe", "id") }}'),
            RecordData("@", "MX", "10 mail"),
            RecordData("_sip._tcp", "SRV", "10 60 5060 sip.shop.example."),
            RecordData("@", "CAA", '0 issue "letsencrypt.org"'),
        ),
    ),
    ZoneData("gone.example", 2026112001, 3600, SOA, absent=True),
    ZoneData("alpha.example", 2026112100, 7200, SOA, (RecordData("@", "AAAA", "2001:db8::1"),)),
)
PRIMARY = DnsServerData(role="primary", zones=ZONES, secondaries=("10.88.0.3",))
SECONDARY = DnsServerData(role="secondary", zones=ZONES, primaries=("10.88.0.2",))


@pytest.mark.parametrize(("name", "data"), [("dns_primary", PRIMARY), ("dns_secondary", SECONDARY)])
def test_rendered_vars_match_the_golden_file(name: str, data: DnsServerData) -> None:
    text = hostvars.dump(render(data))
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("BATON_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


@pytest.mark.parametrize("data", [PRIMARY, SECONDARY])
def test_rendered_vars_satisfy_the_argument_specs_of_the_services_roles(data: DnsServerData) -> None:
    roles = registry.get("dns").argument_specs
    assert roles == ("bind9",)
    for role in roles:
        assert role_spec_errors(role, render(data)) == []


def test_rendering_is_deterministic_whatever_the_input_order() -> None:
    shuffled = DnsServerData(
        role="primary",
        secondaries=PRIMARY.secondaries,
        zones=tuple(
            ZoneData(z.name, z.serial, z.ttl, z.soa, tuple(reversed(z.records)), z.absent) for z in reversed(ZONES)
        ),
    )
    assert hostvars.dump(render(shuffled)) == hostvars.dump(render(PRIMARY))


def test_customer_strings_are_tagged_unsafe_and_survive_a_round_trip() -> None:
    text = hostvars.dump(render(PRIMARY))
    assert '{"__ansible_unsafe": "v=spf1 mx -all \\"quoted\\" {{ lookup(\\"pipe\\", \\"id\\") }}"}' in text
    loaded = hostvars.load(text)
    txt = next(r for r in loaded["bind9__host_zones"][2]["records"] if r["type"] == "TXT")
    assert isinstance(txt["value"], hostvars.Unsafe)
    assert txt["value"] == 'v=spf1 mx -all "quoted" {{ lookup("pipe", "id") }}'
    assert not isinstance(loaded["bind9__host_zones"][2]["serial"], str)


def test_absent_zones_are_rendered_as_absent_on_both_roles() -> None:
    for data in (PRIMARY, SECONDARY):
        zones = {zone["name"]: zone for zone in render(data)["bind9__host_zones"]}
        assert zones["gone.example"] == {"name": "gone.example", "state": "absent"}


def test_spec_check_catches_a_bad_render() -> None:
    broken = render(PRIMARY)
    broken["bind9__host_zones"][0]["records"] = [{"name": "@", "type": "SPF", "value": "x"}]
    assert role_spec_errors("bind9", broken)


def test_a_suspended_zone_is_rendered_absent_on_both_roles_and_its_records_kept_in_the_data() -> None:
    suspended = ZoneData("shop.example", 2026112104, 3600, SOA, ZONES[0].records, suspended=True)
    for data in (
        DnsServerData(role="primary", zones=(suspended, ZONES[2]), secondaries=("10.88.0.3",)),
        DnsServerData(role="secondary", zones=(suspended, ZONES[2]), primaries=("10.88.0.2",)),
    ):
        rendered = render(data)
        zones = {zone["name"]: zone for zone in rendered["bind9__host_zones"]}
        assert zones["shop.example"] == {"name": "shop.example", "state": "absent"}
        assert zones["alpha.example"]["state"] == "present"
        assert role_spec_errors("bind9", rendered) == []
