"""Every write to zones and records. Each one marks what it touched pending and asks the provisioning engine
to converge the zone's primary and every DNS secondary; the change set returned is what clients poll."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from panel.accounts.models import Account, User
from panel.accounts.registry import host_name_source, on_account_disable, on_account_enable
from panel.core.access import require_account_writable
from panel.core.audit import record_change, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import ApplicationError, Conflict, ValidationFailed
from panel.core.names import held_in, require_own_names
from panel.dns import validators
from panel.dns.models import Record, Zone
from panel.names.services import names_take_over
from panel.provisioning import services as provisioning
from panel.provisioning.choices import ApplyState
from panel.provisioning.models import ChangeSet
from panel.servers.choices import ServerRole
from panel.servers.models import Server
from panel.servers.selectors import server_for, servers_with_role

SERVICE = "dns"
ZONE_EDITABLE = ("ttl", "soa_refresh", "soa_retry", "soa_expire", "soa_minimum")
# Seconds; RFC 1912's advice, widened a little. The API's schema states the same bounds.
SOA_BOUNDS = {
    "ttl": (60, 604800),
    "soa_refresh": (300, 604800),
    "soa_retry": (60, 604800),
    "soa_expire": (86400, 4838400),
    "soa_minimum": (60, 86400),
}


def _field_error(error: DjangoValidationError, field: str) -> ApplicationError:
    if hasattr(error, "error_dict"):
        return ValidationFailed.from_django(error)
    return ValidationFailed(" ".join(error.messages), field=field, code=error.code or "invalid")


def next_serial(current: int, today: date) -> int:
    """YYYYMMDDnn: today's first serial, or one more than the current one if that is already higher."""
    return max(current + 1, int(today.strftime("%Y%m%d")) * 100)


def _servers_of(zone: Zone) -> list[Server]:
    return [zone.primary, *(s for s in servers_with_role(ServerRole.DNS_SECONDARY) if s.pk != zone.primary_id)]


def _mark_pending(objects: list[models.Model]) -> None:
    by_model: dict[type[models.Model], list[Any]] = {}
    for obj in objects:
        by_model.setdefault(type(obj), []).append(obj.pk)
    for model, pks in by_model.items():
        model._default_manager.filter(pk__in=pks).update(apply_state=ApplyState.PENDING, apply_error="")


def _converge_all(zone: Zone, objects: list[models.Model], actor: User | None) -> list[ChangeSet]:
    """Bump the serial (once per change set: changes joining a pending one share its bump), mark the objects
    pending and request a run on every server of the zone. Returns the change sets, the primary's first."""
    already_pending = provisioning.is_pending(server=zone.primary, service=SERVICE, obj=zone)
    if not already_pending:
        zone.serial = next_serial(zone.serial, date.today())
        Zone.objects.filter(pk=zone.pk).update(serial=zone.serial)
    _mark_pending([zone, *objects])
    targets = [(obj, zone.name) for obj in [zone, *objects]]
    requested_at = timezone.now()
    return [
        provisioning.request(server=server, service=SERVICE, objects=targets, actor=actor, requested_at=requested_at)
        for server in _servers_of(zone)
    ]


def _converge(zone: Zone, objects: list[models.Model], actor: User | None) -> ChangeSet:
    return _converge_all(zone, objects, actor)[0]


# Zones ---------------------------------------------------------------------------------------------------


def _check_name_free(name: str) -> None:
    """A name belongs to one zone only: no zone may be inside another or contain another."""
    parents = [name.split(".", i)[-1] for i in range(1, name.count("."))]
    clash = Zone.objects.filter(models.Q(name=name) | models.Q(name__in=parents) | models.Q(name__endswith=f".{name}"))
    existing = clash.first()
    if existing is not None:
        raise Conflict(
            f"'{name}' is already served here as part of the zone '{existing.name}'.", field="name", code="taken"
        )


def _default_records(zone: Zone) -> list[Record]:
    records = [Record(zone=zone, name="@", type="NS", value=ns) for ns in settings.BATON_DNS_NAMESERVERS]
    records += [
        Record(zone=zone, name=r["name"], type=r["type"], value=r["value"].format(zone=zone.name))
        for r in settings.BATON_DNS_DEFAULT_RECORDS
    ]
    return records


def _check_timers(timers: dict[str, Any]) -> None:
    for field in timers:
        if field not in ZONE_EDITABLE:
            raise ValidationFailed(f"'{field}' cannot be changed.", field=field)
    for field, value in timers.items():
        low, high = SOA_BOUNDS[field]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationFailed(f"Must be a whole number of seconds from {low} to {high}.", field=field)


@transaction.atomic
def zone_create(
    *, account: Account, name: str, actor: User | None, allow_foreign_name: bool = False, **timers: int
) -> tuple[Zone, ChangeSet]:
    """`timers` are the zone's TTL and SOA timers (`ttl`, `soa_refresh`, ...); the model's defaults otherwise.
    `allow_foreign_name` (staff only) lets the zone take in names another account holds (panel.core.names)."""
    require_account_writable(actor, account)
    _check_timers(timers)
    try:
        name = validators.normalize_zone_name(name)
    except DjangoValidationError as error:
        raise _field_error(error, "name") from error
    overridden = require_own_names(
        names=[name], account=account, field="name", below=True, override=allow_foreign_name, actor=actor
    )
    _check_name_free(name)
    primary = server_for(account=account, role=ServerRole.DNS_PRIMARY)
    if primary is None:
        raise Conflict("No DNS server is set up for this account yet; ask support.", code="no_server")
    nameservers = settings.BATON_DNS_NAMESERVERS
    zone = Zone(
        name=name,
        account=account,
        primary=primary,
        serial=next_serial(0, date.today()) - 1,
        soa_mname=nameservers[0] if nameservers else f"ns.{name}.",
        soa_rname=settings.BATON_DNS_HOSTMASTER,
        **timers,
    )
    try:
        with transaction.atomic():
            zone.save()
    except IntegrityError as error:
        raise Conflict(f"'{name}' is already taken.", field="name", code="taken") from error
    records = Record.objects.bulk_create(_default_records(zone))
    # Its names are the account's now: other accounts' objects still waiting for a proof of one of them go.
    names_take_over(names=[name], below=name, account=account, actor=actor)
    after = {**snapshot(zone), **({"name_override": True} if overridden else {})}
    record_change(actor=actor, action=ChangeAction.CREATE, obj=zone, after=after)
    return zone, _converge(zone, list(records), actor)


@transaction.atomic
def zone_update(*, zone: Zone, actor: User | None, **changes: Any) -> tuple[Zone, ChangeSet]:
    require_account_writable(actor, zone.account)
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    if zone.pending_delete:
        raise Conflict("This zone is being deleted.", code="deleted")
    _check_timers(changes)
    before = snapshot(zone)
    for field, value in changes.items():
        setattr(zone, field, value)
    zone.save()
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=zone, before=before, after=snapshot(zone))
    return zone, _converge(zone, [], actor)


@transaction.atomic
def zone_delete(*, zone: Zone, actor: User | None) -> ChangeSet:
    """The zone stays, marked for deletion, until every server has dropped it."""
    require_account_writable(actor, zone.account)
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    record_change(actor=actor, action=ChangeAction.DELETE, obj=zone, before=snapshot(zone))
    zone.pending_delete = True
    zone.save(update_fields=["pending_delete", "updated_at"])
    return _converge(zone, [], actor)


# Records -------------------------------------------------------------------------------------------------


def _normalized(zone: Zone, name: str, rtype: str, value: str, ttl: int | None) -> tuple[str, str, str, int | None]:
    if rtype not in validators.RECORD_TYPES:
        raise ValidationFailed(f"Unknown record type '{rtype}'.", field="type", code="unknown_type")
    try:
        name = validators.normalize_record_name(name, zone.name)
    except DjangoValidationError as error:
        raise _field_error(error, "name") from error
    try:
        value = validators.normalize_record_value(rtype, value, zone=zone.name)
    except DjangoValidationError as error:
        raise _field_error(error, "value") from error
    if ttl is not None:
        try:
            ttl = validators.validate_ttl(ttl)
        except DjangoValidationError as error:
            raise _field_error(error, "ttl") from error
    return name, rtype, value, ttl


def _check_set(zone: Zone, candidate: tuple[str, str, str], *, replacing: Record | None = None) -> None:
    others = zone.records.filter(pending_delete=False)
    if replacing is not None:
        others = others.exclude(pk=replacing.pk)
    records = [*others.values_list("name", "type", "value"), candidate]
    try:
        validators.check_record_set(records)
    except DjangoValidationError as error:
        raise _field_error(error, "value") from error
    _check_targets(zone, records, candidate)


def _check_targets(zone: Zone, records: list[tuple[str, str, str]], candidate: tuple[str, str, str] | None) -> None:
    """An in-zone NS, MX, SRV or CNAME target needs an address in the zone: named-checkzone refuses the zone
    otherwise. Caught here, at the change that breaks it, instead of as a refused zone on the server (records
    already dangling before this change, e.g. imported ones, do not block it)."""
    before = set(
        validators.dangling_targets(
            list(zone.records.filter(pending_delete=False).values_list("name", "type", "value")), zone.name
        )
    )
    dangling = [entry for entry in validators.dangling_targets(records, zone.name) if entry not in before]
    if not dangling:
        return
    name, rtype, value, target = dangling[0]
    if candidate is not None and (name, rtype, value) == candidate:
        needs = "any record" if rtype == "CNAME" else "an A or AAAA record"
        raise ValidationFailed(
            f"{target} is in this zone but has no {'record' if rtype == 'CNAME' else 'address'}: add {needs} "
            f"for {target} first, or point the {rtype} record elsewhere.",
            field="value",
            code="dangling_target",
        )
    raise Conflict(
        f"The {rtype} record at {name} points to {target}, which would be left without an address; "
        "change or delete that record first.",
        field="value",
        code="target_in_use",
    )


def _editable_zone(zone: Zone, actor: User | None) -> Zone:
    require_account_writable(actor, zone.account)
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    if zone.pending_delete:
        raise Conflict("This zone is being deleted.", code="deleted")
    return zone


@transaction.atomic
def record_create(
    *,
    zone: Zone,
    type: str,
    value: str,
    name: str = "@",
    ttl: int | None = None,
    actor: User | None,
    follows: str = "",
) -> tuple[Record, ChangeSet]:
    """`follows` names the object a record is made for automatically (`website:12`): see records_unfollow."""
    zone = _editable_zone(zone, actor)
    name, type, value, ttl = _normalized(zone, name, type, value, ttl)
    _check_set(zone, (name, type, value))
    record = Record.objects.create(zone=zone, name=name, type=type, value=value, ttl=ttl, follows=follows)
    record_change(actor=actor, action=ChangeAction.CREATE, obj=record, after=snapshot(record))
    return record, _converge(zone, [record], actor)


@transaction.atomic
def record_update(*, record: Record, actor: User | None, **changes: Any) -> tuple[Record, ChangeSet]:
    zone = _editable_zone(record.zone, actor)
    record = Record.objects.select_for_update().get(pk=record.pk)
    if record.pending_delete:
        raise Conflict("This record is being deleted.", code="deleted")
    unknown = sorted(set(changes) - {"name", "type", "value", "ttl"})
    if unknown:
        raise ValidationFailed(f"'{unknown[0]}' cannot be changed.", field=unknown[0])
    before = snapshot(record)
    merged = {"name": record.name, "type": record.type, "value": record.value, "ttl": record.ttl, **changes}
    name, rtype, value, ttl = _normalized(zone, merged["name"], merged["type"], merged["value"], merged["ttl"])
    _check_set(zone, (name, rtype, value), replacing=record)
    record.name, record.type, record.value, record.ttl = name, rtype, value, ttl
    record.follows = ""  # edited: it is the customer's record now, and stays when its object goes
    record.save()
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=record, before=before, after=snapshot(record))
    return record, _converge(zone, [record], actor)


@transaction.atomic
def record_delete(*, record: Record, actor: User | None) -> ChangeSet:
    zone = _editable_zone(record.zone, actor)
    remaining = zone.records.filter(pending_delete=False).exclude(pk=record.pk)
    _check_targets(zone, list(remaining.values_list("name", "type", "value")), None)
    record_change(actor=actor, action=ChangeAction.DELETE, obj=record, before=snapshot(record))
    Record.objects.filter(pk=record.pk).update(pending_delete=True)
    return _converge(zone, [record], actor)


def records_unfollow(*, follows: str, names: Iterable[str] | None = None, actor: User | None) -> list[ChangeSet]:
    """The records the panel made for an object (`follows`), for its names in `names` (all when None), go with
    it: deleted like any record, except those someone edited since (they are no longer marked) and those another
    record still needs (an in-zone MX or SRV target): those stay."""
    records = Record.objects.filter(follows=follows, pending_delete=False).select_related("zone")
    wanted = None if names is None else set(names)
    change_sets = []
    for record in records:
        fqdn = record.zone.name if record.name == "@" else f"{record.name}.{record.zone.name}"
        if wanted is not None and fqdn not in wanted:
            continue
        try:
            with transaction.atomic():
                change_sets.append(record_delete(record=record, actor=actor))
        except ApplicationError:
            continue
    return change_sets


# Account disable / enable ---------------------------------------------------------------------------------


def _resuspend_zones(account: Account, actor: User | None) -> list[ChangeSet]:
    """The account was disabled or enabled: its zones (with their records) go to their primary and every
    secondary again. The loader renders a zone of a disabled account absent, so it stops being served (its
    files are removed) and is rendered again, records and all, from the panel's data on enable."""
    zones = (
        Zone.objects.select_for_update(of=("self",))
        .filter(account=account, pending_delete=False)
        .select_related("primary")
    )
    change_sets: dict[int, ChangeSet] = {}
    for zone in zones.order_by("pk"):
        records: list[models.Model] = list(zone.records.filter(pending_delete=False))
        change_sets.update((cs.pk, cs) for cs in _converge_all(zone, records, actor))
    return list(change_sets.values())


on_account_disable(_resuspend_zones)
on_account_enable(_resuspend_zones)


host_name_source(lambda names, below, account: held_in(Zone.objects.all(), names, below, account))
