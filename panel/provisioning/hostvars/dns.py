"""Renderer of the DNS service: the panel's zones on one server -> bind9__host_* variables.

Pure: plain data in, dict out, sorted, so the same state always gives the same file. Names and values a
customer typed are tagged unsafe, so Ansible never evaluates them as templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from panel.provisioning.hostvars import unsafe


@dataclass(frozen=True)
class RecordData:
    name: str
    type: str
    value: str
    ttl: int | None = None


@dataclass(frozen=True)
class SoaData:
    mname: str
    rname: str
    refresh: int
    retry: int
    expire: int
    minimum: int


@dataclass(frozen=True)
class ZoneData:
    name: str
    serial: int
    ttl: int
    soa: SoaData
    records: tuple[RecordData, ...] = ()
    absent: bool = False
    # The zone's account is disabled: the zone is not served (rendered absent: out of named.conf.local, its file
    # removed) and is rendered again from the panel's data when the account is enabled.
    suspended: bool = False


@dataclass(frozen=True)
class DnsServerData:
    role: str  # "primary" | "secondary"
    zones: tuple[ZoneData, ...]
    primaries: tuple[str, ...] = ()
    secondaries: tuple[str, ...] = ()


def _record(record: RecordData) -> dict[str, Any]:
    rendered: dict[str, Any] = {"name": unsafe(record.name), "type": record.type, "value": unsafe(record.value)}
    if record.ttl is not None:
        rendered["ttl"] = record.ttl
    return rendered


def _zone(zone: ZoneData, *, role: str) -> dict[str, Any]:
    if zone.absent or zone.suspended:
        return {"name": unsafe(zone.name), "state": "absent"}
    if role == "secondary":  # the serial it must transfer before the run ends (served means served everywhere)
        return {"name": unsafe(zone.name), "state": "present", "serial": zone.serial}
    soa = zone.soa
    return {
        "name": unsafe(zone.name),
        "state": "present",
        "serial": zone.serial,
        "ttl": zone.ttl,
        "soa": {
            "mname": unsafe(soa.mname),
            "rname": unsafe(soa.rname),
            "refresh": soa.refresh,
            "retry": soa.retry,
            "expire": soa.expire,
            "minimum": soa.minimum,
        },
        "records": [_record(r) for r in sorted(zone.records, key=lambda r: (r.name, r.type, r.value, r.ttl or 0))],
    }


def render(data: DnsServerData) -> dict[str, Any]:
    return {
        "bind9__host_role": data.role,
        "bind9__host_zones": [_zone(zone, role=data.role) for zone in sorted(data.zones, key=lambda z: z.name)],
        "bind9__host_primaries": sorted(data.primaries),
        "bind9__host_secondaries": sorted(data.secondaries),
    }
