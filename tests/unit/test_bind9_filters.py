"""The bind9 role's filter plugins, called as Ansible calls them: the checks the zones step makes before it sends
anything, and the files of absent zones. The same paths run against a real name server in Molecule."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROLE = Path(__file__).resolve().parents[2] / "roles" / "bind9"
SPEC = str(ROLE / "meta" / "argument_specs.yml")


@pytest.fixture(scope="module")
def filters() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bind9_filters", ROLE / "filter_plugins" / "bind9_filters.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def zone(name: str, **extra: Any) -> dict[str, Any]:
    soa = {
        "mname": "ns1.example.",
        "rname": "hostmaster.example.",
        "refresh": 3600,
        "retry": 600,
        "expire": 1209600,
        "minimum": 300,
    }
    return {"name": name, "serial": 2026112100, "soa": soa, "records": [], **extra}


def problems(
    filters: ModuleType,
    zones: list[dict[str, Any]],
    role: str = "primary",
    only: list[str] | None = None,
    primaries: list[str] | None = None,
) -> list[str]:
    return filters.bind9_problems(zones, role, primaries or [], [], only or [], SPEC)


def test_valid_zones_have_no_problems(filters: ModuleType) -> None:
    records = [{"name": "www", "type": "A", "value": "192.0.2.1"}, {"name": "@", "type": "MX", "value": "10 mail"}]
    assert problems(filters, [zone("example.org", records=records), zone("example.net")]) == []


def test_names_must_be_valid_and_unique(filters: ModuleType) -> None:
    found = problems(filters, [zone("Example.org"), zone("example.net"), zone("example.net"), zone("a..b")])
    assert found == [
        "zone name 'Example.org' is not a lowercase domain name without the trailing dot",
        "zone name 'a..b' is not a lowercase domain name without the trailing dot",
        "zone name 'example.net' appears twice",
    ]


def test_records_of_touched_zones_must_be_zone_file_safe(filters: ModuleType) -> None:
    bad = [{"name": "a b", "type": "A", "value": "192.0.2.1"}, {"name": "t", "type": "TXT", "value": "x\n$INCLUDE"}]
    assert problems(filters, [zone("example.org", records=bad)]) == [
        "zone example.org: record name 'a b' must be @ or a relative name",
        "zone example.org: the value of t TXT is not one line",
    ]
    # Only the zones a targeted run touches are read record by record.
    assert problems(filters, [zone("example.org", records=bad), zone("example.net")], only=["example.net"]) == []


def test_touched_zones_are_checked_against_the_argument_spec(filters: ModuleType) -> None:
    found = problems(filters, [zone("example.org", records=[{"name": "www", "type": "SPF", "value": "x"}])])
    assert len(found) == 1 and "SPF" in found[0] and "type" in found[0], found
    missing_soa = zone("example.org")
    del missing_soa["soa"]
    assert problems(filters, [missing_soa]) == ["zone example.org: a primary needs serial and soa"]


def test_a_secondary_with_zones_needs_primaries(filters: ModuleType) -> None:
    secondary_zone = {"name": "example.org"}
    assert problems(filters, [secondary_zone], role="secondary") == [
        "a secondary with zones needs bind9__host_primaries"
    ]
    assert problems(filters, [secondary_zone], role="secondary", primaries=["192.0.2.53"]) == []


def test_absent_zones_lose_their_files_in_both_roles(filters: ModuleType) -> None:
    assert filters.bind9_absent_files([{"name": "gone.example"}], "/etc/bind/zones", "/var/lib/bind/secondary") == [
        "/etc/bind/zones/gone.example.db",
        "/var/lib/bind/secondary/gone.example.db",
        "/var/lib/bind/secondary/gone.example.db.jnl",
    ]


DIG_ANSWER = "shop.example.\t\t3600\tIN\tSOA\tns1.example. hostmaster.example. {serial} 3600 600 86400 300\n"


def _passes(probe: dict[str, Any], answer: str) -> bool:
    import re

    found = re.search(probe["expect"], answer)
    if found is None or "at_least" not in probe:
        return found is not None
    return int(found.group(1)) >= probe["at_least"]


def test_serving_probes_ask_named_for_what_went_live(filters: ModuleType) -> None:
    zones = [
        zone("shop.example", serial=2026120703),
        zone("kept.example", serial=5),
        zone("gone.example", state="absent"),
    ]
    split = filters.bind9_zones_split(zones, [])
    probes = filters.bind9_serving_probes(split, True, ["shop.example", "named.conf.local"], 5353)
    assert [p["unit"] for p in probes] == ["shop.example", "gone.example"]  # a refused or unchanged file: no probe
    shop, gone = probes
    assert shop["command"][-3:] == ["@127.0.0.1", "shop.example", "SOA"] and "-p" in shop["command"]
    assert "kick" not in shop
    assert _passes(shop, DIG_ANSWER.format(serial=2026120703))
    assert _passes(shop, DIG_ANSWER.format(serial=2026120709)), "a newer serial serves this change too"
    assert not _passes(shop, DIG_ANSWER.format(serial=2026120702))
    assert not _passes(shop, DIG_ANSWER.replace("shop.", "xshop.").format(serial=2026120703))
    assert not _passes(shop, "")
    assert _passes(gone, "") and not _passes(gone, DIG_ANSWER.format(serial=1))


def test_a_secondary_waits_for_every_zone_of_the_run_and_kicks_a_refresh(filters: ModuleType) -> None:
    zones = [{"name": "shop.example", "serial": 7}, {"name": "other.example", "serial": 3}]
    split = filters.bind9_zones_split(zones, ["shop.example"])
    [probe] = filters.bind9_serving_probes(split, False, [], 53)
    assert probe["unit"] == "shop.example" and probe["at_least"] == 7
    assert probe["kick"] == ["rndc", "refresh", "shop.example"]
