"""Every write to servers and placements. Views, admin and commands call these only.

Servers are infrastructure: every service here is staff-only (`actor` None is the system, which is trusted).
A server's SSH host key is pinned in the panel and only trusted once staff have confirmed its fingerprint;
any key read again that differs is stored unconfirmed, never trusted silently.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from panel.accounts.models import Account, User
from panel.core.access import require_staff
from panel.core.audit import record_change, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import Conflict, ValidationFailed
from panel.servers.choices import ServerRole
from panel.servers.hostkeys import fingerprint as host_key_fingerprint
from panel.servers.hostkeys import scan_host_key
from panel.servers.models import Placement, Server
from panel.servers.validators import SERVER_FIELD_VALIDATORS, normalize_host_key, validate_host_key

SERVER_EDITABLE_FIELDS = (
    "name", "address", "ssh_port", "ssh_user", "roles", "service_address", "public_ipv4", "public_ipv6", "is_active",
)  # fmt: skip


def _normalize(server: Server) -> None:
    if isinstance(server.roles, list) and all(isinstance(role, str) for role in server.roles):
        # Roles are a set; a fixed order keeps snapshots and rendered inventories stable.
        order = {role: index for index, role in enumerate(ServerRole.values)}
        server.roles = sorted(server.roles, key=lambda role: (order.get(role, len(order)), role))
    if isinstance(server.host_key, str):
        server.host_key = normalize_host_key(server.host_key)
    for field in ("service_address", "public_ipv4", "public_ipv6"):
        if getattr(server, field) == "":
            setattr(server, field, None)


def _clean(server: Server) -> None:
    """Run the server field rules and the model's own checks, reporting every failing field at once."""
    _normalize(server)
    errors: dict[str, list[str]] = {}
    for field, validator in SERVER_FIELD_VALIDATORS.items():
        try:
            validator(getattr(server, field))
        except DjangoValidationError as error:
            errors[field] = list(error.messages)
    if server.host_key:
        try:
            validate_host_key(server.host_key)
        except DjangoValidationError as error:
            errors["host_key"] = list(error.messages)
    try:
        server.full_clean(exclude=list(errors))
    except DjangoValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationFailed.from_django(DjangoValidationError(errors))


def _save(server: Server) -> None:
    try:
        with transaction.atomic():
            server.save()
    except IntegrityError as error:
        raise Conflict(f"The server name '{server.name}' is already taken.", field="name") from error


def _lock(server: Server) -> Server:
    return Server.objects.select_for_update().get(pk=server.pk)


# Servers -------------------------------------------------------------------------------------------------


def server_register(
    *,
    name: str,
    address: str,
    ssh_port: int = 22,
    ssh_user: str = "root",
    roles: list[str],
    service_address: str | None = None,
    public_ipv4: str | None = None,
    public_ipv6: str | None = None,
    host_key: str | None = None,
    is_active: bool = True,
    actor: User | None,
) -> Server:
    """Add a server. Without `host_key` the key is read from the server now; either way it starts unconfirmed."""
    require_staff(actor, "register servers")
    server = Server(
        name=name,
        address=address,
        ssh_port=ssh_port,
        ssh_user=ssh_user,
        roles=roles,
        service_address=service_address,
        public_ipv4=public_ipv4,
        public_ipv6=public_ipv6,
        host_key=host_key or "",
        is_active=is_active,
    )
    _clean(server)
    if not host_key:
        # Outside the transaction: the scan can take seconds.
        server.host_key = scan_host_key(server.address, server.ssh_port)
    with transaction.atomic():
        _save(server)
        record_change(actor=actor, action=ChangeAction.CREATE, obj=server, after=snapshot(server))
    return server


@transaction.atomic
def server_update(*, server: Server, actor: User | None, **changes: Any) -> Server:
    """Change a server's connection details, roles or state. The host key changes only through a rescan."""
    require_staff(actor, "change servers")
    server = _lock(server)
    if "host_key" in changes and normalize_host_key(changes.pop("host_key") or "") != server.host_key:
        raise ValidationFailed(
            "The host key changes only by rescanning the server, and must then be confirmed again.", field="host_key"
        )
    unknown = sorted(set(changes) - set(SERVER_EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(f"'{unknown[0]}' cannot be changed here.", field=unknown[0])
    before = snapshot(server)
    for field, value in changes.items():
        setattr(server, field, value)
    _clean(server)
    _save(server)
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=server, before=before, after=snapshot(server))
    return server


def server_deactivate(*, server: Server, actor: User | None) -> Server:
    """Servers are never deleted from the panel (runs and history point at them); they are switched off."""
    return server_update(server=server, is_active=False, actor=actor)


def _same_fingerprint(given: str, expected: str) -> bool:
    given = given.strip()
    return given in {expected, expected.removeprefix("SHA256:")}


@transaction.atomic
def server_confirm_host_key(*, server: Server, fingerprint: str, actor: User | None) -> Server:
    """Trust the pinned key. Staff send back the fingerprint they compared, so a key that changed in between
    (a rescan by someone else) is refused instead of being confirmed unseen."""
    require_staff(actor, "confirm host keys")
    server = _lock(server)
    if not server.host_key:
        raise Conflict("This server has no host key yet; rescan it first.", field="host_key", code="no_host_key")
    expected = host_key_fingerprint(server.host_key)
    if not _same_fingerprint(fingerprint, expected):
        raise Conflict(
            f"The fingerprint does not match the pinned host key ({expected}); compare again.",
            field="fingerprint",
            code="fingerprint_mismatch",
        )
    if server.host_key_confirmed_at is not None:
        return server
    before = snapshot(server)
    server.host_key_confirmed_at = timezone.now()
    server.host_key_confirmed_by = actor if actor is not None and actor.pk else None
    server.save(update_fields=["host_key_confirmed_at", "host_key_confirmed_by", "updated_at"])
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=server, before=before, after=snapshot(server))
    return server


def server_rescan_host_key(*, server: Server, actor: User | None) -> Server:
    """Read the key again. A different key replaces the pinned one unconfirmed; the server is returned with
    whatever key is now pinned (compare `host_key` with the one before to see whether it changed)."""
    require_staff(actor, "rescan host keys")
    # Read before taking the row lock: the scan can take seconds and must not hold up other writers.
    scanned = scan_host_key(server.address, server.ssh_port)
    with transaction.atomic():
        server = _lock(server)
        if scanned == server.host_key:
            return server
        before = snapshot(server)
        server.host_key = scanned
        server.host_key_confirmed_at = None
        server.host_key_confirmed_by = None
        server.save(update_fields=["host_key", "host_key_confirmed_at", "host_key_confirmed_by", "updated_at"])
        record_change(actor=actor, action=ChangeAction.UPDATE, obj=server, before=before, after=snapshot(server))
    return server


# Placements ----------------------------------------------------------------------------------------------


def _check_placement(*, role: str, server: Server, account: Account | None) -> None:
    if role not in ServerRole.values:
        raise ValidationFailed(f"Unknown role {role!r}; use one of {', '.join(ServerRole.values)}.", field="role")
    if not server.is_active:
        raise ValidationFailed(f"{server} is not active.", field="server", code="server_inactive")
    if not server.has_role(role):
        raise ValidationFailed(f"{server} does not have the role {role}.", field="server", code="role_missing")
    if account is not None and account.is_deleted:
        raise ValidationFailed(f"Account {account} is deleted.", field="account")


@transaction.atomic
def placement_set(*, role: str, server: Server, account: Account | None = None, actor: User | None) -> Placement:
    """Place `role` for `account` (or, without an account, by default) on `server`, replacing any earlier choice."""
    require_staff(actor, "place services")
    # Lock the server so a concurrent deactivation or role change cannot slip in between check and save.
    server = _lock(server)
    _check_placement(role=role, server=server, account=account)
    placement = Placement.objects.select_for_update().filter(role=role, account=account).first()
    if placement is None:
        placement = Placement(role=role, server=server, account=account)
        try:
            with transaction.atomic():
                placement.save()
        except IntegrityError as error:
            raise Conflict("This role was placed concurrently; try again.", field="role") from error
        record_change(actor=actor, action=ChangeAction.CREATE, obj=placement, after=snapshot(placement))
        return placement
    if placement.server_id == server.pk:
        return placement
    before = snapshot(placement)
    placement.server = server
    placement.save(update_fields=["server"])
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=placement, before=before, after=snapshot(placement))
    return placement


@transaction.atomic
def placement_delete(*, placement: Placement, actor: User | None) -> None:
    require_staff(actor, "remove placements")
    record_change(actor=actor, action=ChangeAction.DELETE, obj=placement, before=snapshot(placement))
    placement.delete()
