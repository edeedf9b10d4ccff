"""Every write to system users and their SSH keys. Each marks what it touched pending and asks the provisioning
engine to converge the account's web server (the `users` role); the change set is returned.

The account's own user (named like its handle) comes with the account's first user on a server: it is what the
account's files belong to, so it stays until the account goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from passlib.hash import sha512_crypt

from panel.accounts.models import Account, User
from panel.accounts.registry import on_account_deleted, on_account_disable, on_account_enable, unix_name_source
from panel.core.access import require_account_writable, require_staff
from panel.core.audit import record_change, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import Conflict, ValidationFailed, boolean, checked, checked_fields, one_of
from panel.mail.validators import validate_password
from panel.provisioning import services as provisioning
from panel.provisioning.choices import ApplyState
from panel.provisioning.models import ChangeSet
from panel.servers.choices import ServerRole
from panel.servers.models import Server
from panel.servers.selectors import server_for
from panel.systemusers import validators
from panel.systemusers.choices import Access
from panel.systemusers.models import UID_MAX, UID_MIN, SshKey, SystemUser, UnixId

SERVICE = "users"
KEYS_PER_USER = 50
USER_EDITABLE = ("access", "scope", "is_active")
# sshd verifies the hash at each password login: 50,000 rounds (glibc's default is 5,000) cost ~30 ms there.
_HASHER = sha512_crypt.using(rounds=50_000)


def password_hash(password: str) -> str:
    """The `$6$` SHA512-crypt hash the server's shadow file holds. The password itself is never stored."""
    checked("password", validate_password, password)
    return str(_HASHER.hash(password))


def unit_of(account: Account) -> str:
    """The scope of every system user and key of an account in a change set: the users role refuses a whole
    account at a time (its home, e.g. a directory replaced by a symlink), and only that account's objects fail."""
    return f"account:{account.handle}"


def _web_server(account: Account) -> Server:
    server = server_for(account=account, role=ServerRole.WEB)
    if server is None:
        raise Conflict("No web server is set up for this account yet; ask support.", code="no_server")
    return server


def _converge(server: Server, account: Account, objects: Sequence[models.Model], actor: User | None) -> ChangeSet:
    by_model: dict[type[models.Model], list[Any]] = {}
    for obj in objects:
        by_model.setdefault(type(obj), []).append(obj.pk)
    for model, pks in by_model.items():
        model._default_manager.filter(pk__in=pks).update(apply_state=ApplyState.PENDING, apply_error="")
    unit = unit_of(account)
    return provisioning.request(server=server, service=SERVICE, objects=[(obj, unit) for obj in objects], actor=actor)


# The account's uid ---------------------------------------------------------------------------------------


def unix_id_for(account: Account) -> UnixId:
    """The account's uid, allocated on first use: the next number above every one ever given (rows are never
    deleted, so a number is never reused). Two allocations at once collide on the unique uid; the loser retries."""
    existing = UnixId.objects.filter(account=account).first()
    if existing is not None:
        return existing
    for _ in range(5):
        highest = UnixId.objects.aggregate(highest=Max("uid"))["highest"]
        uid = UID_MIN if highest is None else highest + 1
        if uid > UID_MAX:
            raise Conflict("The panel has no uid left to give; staff must widen the range.", code="no_uid")
        try:
            with transaction.atomic():
                return UnixId.objects.create(account=account, account_ref=account.pk, handle=account.handle, uid=uid)
        except IntegrityError:
            existing = UnixId.objects.filter(account=account).first()
            if existing is not None:
                return existing
    raise Conflict("Could not allocate a uid; try again.", code="busy")


def account_user(account: Account, server: Server, actor: User | None) -> tuple[SystemUser, bool]:
    """The account's own user (what its files and PHP run as), created with its uid on first use; and whether it
    was created now."""
    main = SystemUser.objects.filter(account=account, is_main=True).first()
    if main is not None:
        return main, False
    unix_id_for(account)
    main = SystemUser(name=account.handle, account=account, server=server, is_main=True, access=Access.SFTP)
    try:
        with transaction.atomic():
            main.save()
    except IntegrityError as error:
        raise Conflict(
            "The account's own user could not be created: its name is taken.", field="name", code="taken"
        ) from error
    record_change(actor=actor, action=ChangeAction.CREATE, obj=main, after=snapshot(main))
    return main, True


# Users ---------------------------------------------------------------------------------------------------


def _check_name(account: Account, name: Any) -> str:
    if not isinstance(name, str):
        raise ValidationFailed("A name is text.", field="name")
    checked("name", validators.validate_system_user_name, name)
    if name != account.handle and Account.objects.filter(handle=name).exists():
        raise ValidationFailed(
            f"'{name}' is an account's own user name; choose another.", field="name", code="reserved"
        )
    return name


def _user_fields(changes: dict[str, Any], *, is_main: bool) -> dict[str, Any]:
    checks = {"access": one_of(Access.values), "scope": validators.validate_scope, "is_active": boolean}
    clean = checked_fields(changes, checks)
    if is_main and clean.get("scope"):
        raise ValidationFailed("The account's own user always has the whole home.", field="scope")
    return clean


def _parsed_keys(keys: Iterable[Any], field: str = "keys") -> list[validators.PublicKey]:
    keys = list(keys)
    if len(keys) > KEYS_PER_USER:
        raise ValidationFailed(f"At most {KEYS_PER_USER} keys per user.", field=field)
    parsed: dict[str, validators.PublicKey] = {}
    for index, text in enumerate(keys):
        key = checked(f"{field}.{index}", validators.parse_public_key, text)
        parsed.setdefault(key.fingerprint, key)
    return list(parsed.values())


def _add_keys(user: SystemUser, keys: Sequence[validators.PublicKey]) -> list[SshKey]:
    rows = [
        SshKey(system_user=user, type=k.type, blob=k.blob, comment=k.comment, bits=k.bits, fingerprint=k.fingerprint)
        for k in keys
    ]
    for row in rows:
        row.save()
    return rows


@transaction.atomic
def system_user_create(
    *,
    account: Account,
    name: str,
    actor: User | None,
    password: str | None = None,
    keys: Iterable[str] = (),
    **fields: Any,
) -> tuple[SystemUser, ChangeSet]:
    """A new SFTP or SSH login of `account` on its web server, with the account's uid. Named like the account's
    handle, it is the account's own user (created with the first user anyway)."""
    require_account_writable(actor, account)
    name = _check_name(account, name)
    clean = _user_fields(fields, is_main=name == account.handle)
    hashed = password_hash(password) if password else ""
    parsed = _parsed_keys(keys)
    server = _web_server(account)
    main, main_created = account_user(account, server, actor)
    if name == account.handle:
        if not main_created:
            raise Conflict(f"The account's own user '{name}' exists already.", field="name", code="taken")
        user = main
        for field, value in clean.items():
            setattr(user, field, value)
        user.password_hash = hashed
        user.save()
        created = [user]
    else:
        user = SystemUser(name=name, account=account, server=server, password_hash=hashed, **clean)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as error:
            raise Conflict(f"The user name '{name}' is taken.", field="name", code="taken") from error
        record_change(actor=actor, action=ChangeAction.CREATE, obj=user, after=snapshot(user))
        created = [main, user] if main_created else [user]
    return user, _converge(server, account, [*created, *_add_keys(user, parsed)], actor)


def _locked(user: SystemUser) -> SystemUser:
    user = SystemUser.objects.select_for_update().select_related("account", "server").get(pk=user.pk)
    if user.pending_delete:
        raise Conflict("This user is being deleted.", code="deleted")
    return user


@transaction.atomic
def system_user_update(*, system_user: SystemUser, actor: User | None, **changes: Any) -> tuple[SystemUser, ChangeSet]:
    require_account_writable(actor, system_user.account)
    user = _locked(system_user)
    if changes.pop("name", user.name) != user.name:
        raise ValidationFailed("A user cannot be renamed: create the new one.", field="name")
    if changes.pop("account", user.account) != user.account:
        raise ValidationFailed("A user cannot move to another account.", field="account")
    before = snapshot(user)
    for field, value in _user_fields(changes, is_main=user.is_main).items():
        setattr(user, field, value)
    user.save()
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=user, before=before, after=snapshot(user))
    return user, _converge(user.server, user.account, [user], actor)


@transaction.atomic
def system_user_set_password(
    *, system_user: SystemUser, password: str | None, actor: User | None
) -> tuple[SystemUser, ChangeSet]:
    """Set the user's password, or with None remove it (keys only)."""
    require_account_writable(actor, system_user.account)
    hashed = password_hash(password) if password is not None else ""
    user = _locked(system_user)
    user.password_hash = hashed
    user.save(update_fields=["password_hash", "updated_at"])
    record_change(actor=actor, action=ChangeAction.SET_PASSWORD, obj=user)
    return user, _converge(user.server, user.account, [user], actor)


@transaction.atomic
def system_user_delete(*, system_user: SystemUser, actor: User | None) -> ChangeSet:
    """Its logins and keys go; its files stay (they are the account's)."""
    require_account_writable(actor, system_user.account)
    user = _locked(system_user)
    if user.is_main:
        raise Conflict(
            "The account's own user owns its files and stays; remove its keys and password to stop its logins.",
            code="main_user",
        )
    record_change(actor=actor, action=ChangeAction.DELETE, obj=user, before=snapshot(user))
    keys = list(user.keys.all())
    SystemUser.objects.filter(pk=user.pk).update(pending_delete=True)
    SshKey.objects.filter(system_user=user).update(pending_delete=True)
    return _converge(user.server, user.account, [*keys, user], actor)


# Keys ----------------------------------------------------------------------------------------------------


@transaction.atomic
def ssh_key_create(*, system_user: SystemUser, key: str, actor: User | None) -> tuple[SshKey, ChangeSet]:
    require_account_writable(actor, system_user.account)
    parsed_key: validators.PublicKey = checked("key", validators.parse_public_key, key)
    user = _locked(system_user)
    if user.keys.filter(pending_delete=False).count() >= KEYS_PER_USER:
        raise Conflict(f"A user has at most {KEYS_PER_USER} keys.", field="key", code="too_many")
    if user.keys.filter(fingerprint=parsed_key.fingerprint).exists():
        raise Conflict(f"This user has the key {parsed_key.fingerprint} already.", field="key", code="taken")
    [row] = _add_keys(user, [parsed_key])
    record_change(actor=actor, action=ChangeAction.CREATE, obj=row, after=snapshot(row))
    return row, _converge(user.server, user.account, [row], actor)


@transaction.atomic
def ssh_key_delete(*, key: SshKey, actor: User | None) -> ChangeSet:
    """The key is refused from the next login on (sshd reads the keys file at each one); open sessions stay."""
    user = key.system_user
    require_account_writable(actor, user.account)
    record_change(actor=actor, action=ChangeAction.DELETE, obj=key, before=snapshot(key))
    SshKey.objects.filter(pk=key.pk).update(pending_delete=True)
    return _converge(user.server, user.account, [key], actor)


# Account disable / enable --------------------------------------------------------------------------------


def _resuspend_users(account: Account, actor: User | None) -> list[ChangeSet]:
    """The account was disabled or enabled: its users go to their servers again. The loader renders a disabled
    account's users locked and expired, without keys (every login refused, files untouched), and restores them
    on enable."""
    by_server: dict[int, list[models.Model]] = {}
    servers: dict[int, Server] = {}
    for user in account.system_users.filter(pending_delete=False).select_related("server"):
        servers[user.server_id] = user.server
        by_server.setdefault(user.server_id, []).append(user)
    return [_converge(servers[pk], account, by_server[pk], actor) for pk in sorted(by_server)]


on_account_disable(_resuspend_users)
on_account_enable(_resuspend_users)
unix_name_source(lambda name: SystemUser.objects.filter(name=name).exists())


# What a deleted account left on disk ---------------------------------------------------------------------


def remains_unit(handle: str) -> str:
    """The scope of a purge in a change set: the users role refuses a home it will not remove under this unit."""
    return f"remains:{handle}"


@on_account_deleted
def _note_remains(account_id: int, actor: User | None) -> list[ChangeSet]:
    """The deleted account's home stays on its servers (never served: its users, vhosts and pools are gone) for
    BATON_REMAINS_GRACE_DAYS; its handle stays reserved until the home is removed."""
    UnixId.objects.filter(account_ref=account_id, account__isnull=True, removed_at__isnull=True).update(
        removed_at=timezone.now()
    )
    return []


@transaction.atomic
def remains_purge(*, unix_id: UnixId, actor: User | None) -> list[ChangeSet]:
    """Remove a deleted account's home from every server that carried it (staff, or the daily task once the grace
    period is over). Returns the change sets; `purged_at` is set once all of them removed it."""
    require_staff(actor, "remove a deleted account's files")
    unix_id = UnixId.objects.select_for_update().get(pk=unix_id.pk)
    if unix_id.account_id is not None or unix_id.removed_at is None:
        raise Conflict("This account still exists: delete the account first.", code="not_deleted")
    if unix_id.purged_at is not None:
        raise Conflict("This account's files were removed already.", code="purged")
    now = timezone.now()
    servers = list(
        Server.objects.filter(
            pk__in=ChangeSet.objects.filter(service=SERVICE, items__account_ref=unix_id.account_ref).values("server")
        ).order_by("pk")
    )
    UnixId.objects.filter(pk=unix_id.pk).update(
        purge_requested_at=now, purge_error="", purged_at=None if servers else now
    )
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=unix_id, after={"purge_requested_at": now.isoformat()})
    unit = remains_unit(unix_id.handle)
    return [provisioning.request(server=s, service=SERVICE, objects=[(unix_id, unit)], actor=actor) for s in servers]


def remains_due(now: datetime | None = None) -> QuerySet[UnixId]:
    """Deleted accounts whose grace period is over and whose files nobody asked to remove yet."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.BATON_REMAINS_GRACE_DAYS)
    return UnixId.objects.filter(
        account__isnull=True, removed_at__lte=cutoff, purge_requested_at__isnull=True, purged_at__isnull=True
    )


# A deleted account's handle is not given to a new account while its home may still be on a server: the new
# account would find the old one's files there.
unix_name_source(lambda name: UnixId.objects.filter(handle=name, account__isnull=True, purged_at__isnull=True).exists())
