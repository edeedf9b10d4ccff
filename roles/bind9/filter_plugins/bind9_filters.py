"""Filters of the bind9 role: zone-file text for record data, which zones a run touches, and the checks of the
zone data before a run changes anything."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

# Longest <character-string> in a TXT record (RFC 1035 3.3: one length octet).
TXT_CHUNK = 255


def _escape_byte(byte: int) -> str:
    # Quotes and backslashes are escaped; anything that is not printable ASCII becomes \DDD so a value can
    # never break out of its string or its line.
    if byte in (0x22, 0x5C):
        return "\\" + chr(byte)
    if 0x20 <= byte < 0x7F:
        return chr(byte)
    return f"\\{byte:03d}"


def bind9_txt_rdata(value: object, chunk: int = TXT_CHUNK) -> str:
    """Raw TXT text -> quoted zone-file strings of at most `chunk` bytes each (UTF-8)."""
    data = str(value).encode("utf-8")
    if not data:
        return '""'
    pieces = (data[i : i + chunk] for i in range(0, len(data), chunk))
    return " ".join('"' + "".join(_escape_byte(b) for b in piece) + '"' for piece in pieces)


def bind9_zones_split(zones: list[dict], only: list[str]) -> dict[str, list]:
    """One pass over the zone list (it may hold thousands of zones; chained Jinja filters walked it once per
    filter): the zones to serve, and of the ones this run touches (`only`, or all when empty) those present
    and those marked absent."""
    wanted = set(only)
    split: dict[str, list] = {"present": [], "selected_present": [], "selected_absent": []}
    for zone in zones:
        absent = zone.get("state") == "absent"
        if not absent:
            split["present"].append(zone)
        if not wanted or zone["name"] in wanted:
            split["selected_absent" if absent else "selected_present"].append(zone)
    return split


def bind9_zone_files(zones: list[dict], directory: str, validate: list[str], group: str) -> list[dict]:
    """baton.core.install_files entries of the zone files: one per zone, checked by named-checkzone."""
    return [
        {
            "src": "etc/bind/zones/zone.db.j2",
            "dest": f"{directory}/{zone['name']}.db",
            "item": zone,
            "label": zone["name"],
            "unit": zone["name"],
            "mode": "0640",
            "group": group,
            "validate": [*validate, zone["name"], "%s"],
        }
        for zone in zones
    ]


def bind9_absent_files(zones: list[dict], zone_dir: str, secondary_dir: str) -> list[str]:
    """Files of absent zones, whichever role this server had when they were written (a secondary's journal too)."""
    return [
        path
        for zone in zones
        for path in (
            f"{zone_dir}/{zone['name']}.db",
            f"{secondary_dir}/{zone['name']}.db",
            f"{secondary_dir}/{zone['name']}.db.jnl",
        )
    ]


_ZONE_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*")
_RECORD_NAME = re.compile(
    r"@|\*|(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*"
)
_LINE_BREAK = re.compile(r"[\r\n\x00]")
_SPECS: dict[str, dict[str, Any]] = {}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _spec(path: str) -> dict[str, Any]:
    if path not in _SPECS:
        with open(path, encoding="utf-8") as handle:
            _SPECS[path] = yaml.load(handle, Loader=_Loader)["argument_specs"]["main"]["options"]
    return _SPECS[path]


def _plain(value: Any) -> Any:
    """Plain Python data: the validator copies its input, and copying Ansible's lazy containers copies every
    variable they can reach (seconds for one zone)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


def _zone_problems(zone: dict[str, Any], primary: bool) -> list[str]:
    """A zone this run renders: names end up in zone files, so they are checked strictly."""
    name, problems = zone.get("name"), []
    if primary and zone.get("state") != "absent" and ("serial" not in zone or "soa" not in zone):
        problems.append(f"zone {name}: a primary needs serial and soa")
    for record in zone.get("records") or []:
        if not _RECORD_NAME.fullmatch(str(record.get("name"))):
            problems.append(f"zone {name}: record name {str(record.get('name'))!r} must be @ or a relative name")
        if _LINE_BREAK.search(str(record.get("value"))):
            problems.append(f"zone {name}: the value of {record.get('name')} {record.get('type')} is not one line")
    return problems


def bind9_problems(
    zones: list[dict[str, Any]],
    role: str,
    primaries: list[str],
    secondaries: list[str],
    only: list[str],
    spec_path: str,
) -> list[str]:
    """Everything the run checks before it changes anything, in one pass over the zone list: names unique and
    valid, a secondary with zones has primaries, the zones this run touches valid for a zone file and against
    the role's argument spec (the panel skips Ansible's own check of the spec, which walks every zone)."""
    split = bind9_zones_split(zones, only)
    names = [str(zone.get("name")) for zone in zones]
    problems = [
        f"zone name {name!r} is not a lowercase domain name without the trailing dot"
        for name in names
        if not _ZONE_NAME.fullmatch(name)
    ]
    problems += [f"zone name {name!r} appears twice" for name, count in sorted(Counter(names).items()) if count > 1]
    if role == "secondary" and split["present"] and not primaries:
        problems.append("a secondary with zones needs bind9__host_primaries")
    touched = split["selected_present"] + split["selected_absent"]
    for zone in touched:
        problems += _zone_problems(zone, role == "primary")
    arguments = _plain(
        {
            "bind9__host_role": role,
            "bind9__host_primaries": primaries,
            "bind9__host_secondaries": secondaries,
            "bind9__host_only_zones": only,
            "bind9__host_zones": touched,
        }
    )
    problems += ArgumentSpecValidator(_spec(spec_path)).validate(arguments).error_messages
    return problems


def _soa_probe(dig: list[str], name: str) -> dict[str, Any]:
    return {"label": name, "unit": name, "command": [*dig, name, "SOA"]}


def bind9_serving_probes(split: dict[str, list], primary: bool, changed: list[str], port: int) -> list[dict]:
    """baton.core.await_served probes of the zones this run changed, asked of named itself as a client would:
    a present zone answers its SOA with its serial or a newer one, an absent zone no longer answers as itself.
    A primary probes the zones whose file or entry went live (a refused file keeps the old serial); a secondary
    every zone of the run, kicking a refresh when it has not transferred the new serial after a NOTIFY yet."""
    dig = ["dig", "+norec", "+noall", "+answer", "+time=1", "+tries=1", "-p", str(port), "@127.0.0.1"]
    went_live = set(changed)
    probes = []
    for zone in split["selected_present"]:
        name = str(zone["name"])
        if (primary and name not in went_live) or "serial" not in zone:
            continue
        probe = _soa_probe(dig, name)
        probe["expect"] = rf"(?m)^{re.escape(name)}\.\s+\d+\s+IN\s+SOA\s+\S+\s+\S+\s+(\d+)\s"
        probe["at_least"] = int(zone["serial"])
        if not primary:
            probe["kick"] = ["rndc", "refresh", name]
        probes.append(probe)
    if "named.conf.local" in went_live or not primary:
        for zone in split["selected_absent"]:
            probe = _soa_probe(dig, str(zone["name"]))
            probe["expect"] = r"\A(?![\s\S]*\bSOA\b)"  # no SOA in the answer any more
            probes.append(probe)
    return probes


class FilterModule:
    """bind9 role filters."""

    def filters(self) -> dict[str, object]:
        return {
            "bind9_txt_rdata": bind9_txt_rdata,
            "bind9_zones_split": bind9_zones_split,
            "bind9_zone_files": bind9_zone_files,
            "bind9_problems": bind9_problems,
            "bind9_absent_files": bind9_absent_files,
            "bind9_serving_probes": bind9_serving_probes,
        }
