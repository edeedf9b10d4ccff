"""How the provisioning engine reads DNS state from the database and settles zones and records after a run."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Prefetch

from panel.dns.models import Record, Zone
from panel.provisioning import registry
from panel.provisioning.hostvars.dns import DnsServerData, RecordData, SoaData, ZoneData, render
from panel.provisioning.models import ChangeSetItem
from panel.provisioning.settle import settle_objects
from panel.servers.choices import ServerRole
from panel.servers.models import Server
from panel.servers.selectors import servers_with_role

SERVICE = "dns"


def _zone_data(zone: Zone) -> ZoneData:
    return ZoneData(
        name=zone.name,
        serial=zone.serial,
        ttl=zone.ttl,
        absent=zone.pending_delete,
        suspended=not zone.account.is_active,
        soa=SoaData(
            mname=zone.soa_mname,
            rname=zone.soa_rname,
            refresh=zone.soa_refresh,
            retry=zone.soa_retry,
            expire=zone.soa_expire,
            minimum=zone.soa_minimum,
        ),
        records=tuple(
            RecordData(name=r.name, type=r.type, value=r.value, ttl=r.ttl)
            for r in zone.records.all()
            if not r.pending_delete
        ),
    )


def load(server: Server) -> DnsServerData:
    """The full DNS state of one server: its own zones if it is a primary, every zone if a secondary."""
    if server.has_role(ServerRole.DNS_PRIMARY):
        zones = (
            Zone.objects.filter(primary=server)
            .select_related("account")
            .prefetch_related(Prefetch("records", queryset=Record.objects.all()))
        )
        secondaries = tuple(s.reachable_address for s in servers_with_role(ServerRole.DNS_SECONDARY) if s != server)
        return DnsServerData(role="primary", zones=tuple(_zone_data(z) for z in zones), secondaries=secondaries)
    primaries = tuple(s.reachable_address for s in servers_with_role(ServerRole.DNS_PRIMARY))
    rows = Zone.objects.values_list("name", "serial", "ttl", "pending_delete", "account__is_active")
    no_soa = SoaData("", "", 0, 0, 0, 0)
    return DnsServerData(
        role="secondary",
        primaries=primaries,
        zones=tuple(
            ZoneData(name=name, serial=serial, ttl=ttl, absent=gone, suspended=not active, soa=no_soa)
            for name, serial, ttl, gone, active in rows
        ),
    )


def lock(server: Server) -> None:
    """The zones this server renders, locked in a stable order (the DNS services lock a zone the same way)."""
    list(Zone.objects.select_for_update().filter(primary=server).order_by("pk").values_list("pk", flat=True))


def settle(items: Sequence[ChangeSetItem]) -> None:
    settle_objects((Record, Zone), items)  # records first: deleting a zone deletes its records


SPEC = registry.register(
    registry.ServiceSpec(
        name=SERVICE,
        playbook="dns.yml",
        server_roles=(ServerRole.DNS_PRIMARY, ServerRole.DNS_SECONDARY),
        load=load,
        render=render,  # type: ignore[arg-type]
        settle=settle,
        full_tags=("bind9",),
        targeted_tags=("bind9:zones",),
        skip_tags=("always",),
        check_tags=("bind9:files",),
        scope_var="bind9__host_only_zones",
        argument_specs=("bind9",),
        lock=lock,
    )
)
