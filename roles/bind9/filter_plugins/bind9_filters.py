"""Filters of the bind9 role: zone-file text for record data, and which zones a run touches."""

from __future__ import annotations

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
            "mode": "0640",
            "group": group,
            "validate": [*validate, zone["name"], "%s"],
        }
        for zone in zones
    ]


class FilterModule:
    """bind9 role filters."""

    def filters(self) -> dict[str, object]:
        return {
            "bind9_txt_rdata": bind9_txt_rdata,
            "bind9_zones_split": bind9_zones_split,
            "bind9_zone_files": bind9_zone_files,
        }
