"""Every write to accounts, contacts, users and API tokens. Views, admin and commands call these only.

`actor` is the user asking; None means the system itself (management commands, seeding), which is trusted.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from panel.accounts.choices import AccountType, ContactUsage
from panel.accounts.models import Account, ApiToken, Contact, User, hash_token_key
from panel.accounts.registry import is_own_mail_domain, is_unix_name_taken, registry
from panel.accounts.validators import email_domain
from panel.core.access import require_account_access, require_staff
from panel.core.audit import record_change, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import Conflict, ValidationFailed

if TYPE_CHECKING:
    from panel.provisioning.models import ChangeSet

ACCOUNT_EDITABLE_FIELDS = ("name", "type", "language", "comments")
CONTACT_FIELDS = ("name", "email", "phone", "address", "city", "postal_code", "country")
_USAGE_FLAGS = {
    ContactUsage.BILLING.value: "is_billing",
    ContactUsage.TECHNICAL.value: "is_technical",
    ContactUsage.EMERGENCY.value: "is_emergency",
}


def _clean(obj: models.Model, *, prefix: str = "", exclude: Iterable[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=list(exclude) if exclude else None)
    except DjangoValidationError as error:
        raise ValidationFailed.from_django(error, prefix=prefix) from error


def _apply_usages(contact: Contact, usages: Iterable[str], *, field: str = "usages") -> None:
    wanted = set(usages)
    unknown = sorted(wanted - set(_USAGE_FLAGS))
    if unknown:
        raise ValidationFailed(f"Unknown usage {unknown[0]!r}; use billing, technical or emergency.", field=field)
    for usage, flag in _USAGE_FLAGS.items():
        setattr(contact, flag, usage in wanted)


def _is_reachable(contact: Contact) -> bool:
    """An emergency contact we can still mail when our own mail servers are down."""
    return contact.is_emergency and not is_own_mail_domain(email_domain(contact.email))


def _has_reachable_emergency_contact(account: Account, *, excluding: Contact | None = None) -> bool:
    candidates = account.contacts.filter(is_emergency=True)
    if excluding is not None:
        candidates = candidates.exclude(pk=excluding.pk)
    return any(_is_reachable(contact) for contact in candidates)


def _lock_account(account: Account) -> Account:
    # Serialises contact changes per account so two concurrent deletions cannot both remove "the other"
    # emergency contact.
    return Account.objects.select_for_update().get(pk=account.pk)


# Accounts ------------------------------------------------------------------------------------------------


@transaction.atomic
def account_create(
    *,
    handle: str,
    name: str,
    contacts: Sequence[Mapping[str, Any]],
    type: str = AccountType.INDIVIDUAL,
    language: str = "en",
    comments: str = "",
    actor: User | None,
) -> Account:
    """Create an account with its contacts; at least one must be a reachable emergency contact."""
    require_staff(actor, "create accounts")
    account = Account(handle=handle, name=name, type=type, language=language, comments=comments)
    _clean(account)
    if is_unix_name_taken(handle):
        raise Conflict(
            f"The handle '{handle}' is taken: a login has that name, or a deleted account's files under it are not "
            "removed yet.",
            field="handle",
            code="taken",
        )
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as error:
        raise Conflict(f"The handle '{handle}' is already taken.", field="handle") from error
    for index, data in enumerate(contacts):
        _contact_save(account, dict(data), prefix=f"contacts.{index}.")
    if not _has_reachable_emergency_contact(account):
        raise ValidationFailed(
            "An account needs at least one emergency contact whose email is not hosted on our own mail servers.",
            field="contacts",
        )
    record_change(actor=actor, action=ChangeAction.CREATE, obj=account, after=snapshot(account))
    return account


@transaction.atomic
def account_update(*, account: Account, actor: User | None, **changes: Any) -> Account:
    require_staff(actor, "change accounts")
    if "handle" in changes and changes.pop("handle") != account.handle:
        raise ValidationFailed("The handle is the account's unix user name and cannot be changed.", field="handle")
    unknown = sorted(set(changes) - set(ACCOUNT_EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(f"'{unknown[0]}' cannot be changed here.", field=unknown[0])
    account = Account.objects.select_for_update().get(pk=account.pk)
    before = snapshot(account)
    for name, value in changes.items():
        setattr(account, name, value)
    _clean(account)
    account.save()
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=account, before=before, after=snapshot(account))
    return account


def _set_active(account: Account, *, active: bool, actor: User | None) -> tuple[Account, list[ChangeSet]]:
    """Flip is_active and cascade through the registry's hooks, which request provisioning of every object of
    the account on every server carrying it; a no-op when already in that state. The change sets the hooks
    requested are returned and recorded in the audit entry."""
    if account.is_active == active:
        return account, []
    before = snapshot(account)
    account.is_active = active
    account.save(update_fields=["is_active", "updated_at"])
    change_sets: dict[int, ChangeSet] = {}
    for hook in registry.enable_hooks if active else registry.disable_hooks:
        change_sets.update((change_set.pk, change_set) for change_set in hook(account, actor) or ())
    action = ChangeAction.ENABLE if active else ChangeAction.DISABLE
    after = {**snapshot(account), "change_sets": sorted(change_sets)}
    record_change(actor=actor, action=action, obj=account, before=before, after=after)
    return account, [change_sets[pk] for pk in sorted(change_sets)]


@transaction.atomic
def account_disable(*, account: Account, actor: User | None) -> tuple[Account, list[ChangeSet]]:
    """Suspend the account and, through the registry, every object it has on every server: the objects stay in
    the panel, their servers stop serving them. Returns the change sets that do it. Disabling twice is
    harmless (and requests nothing)."""
    require_staff(actor, "disable accounts")
    account = Account.objects.select_for_update().get(pk=account.pk)
    return _set_active(account, active=False, actor=actor)


@transaction.atomic
def account_enable(*, account: Account, actor: User | None) -> tuple[Account, list[ChangeSet]]:
    """Restore everything disabling suspended; returns the change sets that do it."""
    require_staff(actor, "enable accounts")
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.is_deleted:
        raise Conflict("A deleted account cannot be enabled.", code="deleted")
    return _set_active(account, active=True, actor=actor)


@transaction.atomic
def account_delete(*, account: Account, actor: User | None) -> tuple[list[str], list[ChangeSet]]:
    """Delete the account, or soft-delete it when something must be kept (e.g. its invoices).

    Returns the reasons it was kept (none: it is gone) and the change sets that take it off its servers: a deleted
    account's objects go from every server in runs requested now (each renders the server's full state without
    them), a soft-deleted one is disabled (suspended everywhere), so nothing of it is served either way.
    """
    require_staff(actor, "delete accounts")
    reasons = [reason for guard in registry.delete_guards if (reason := guard(account))]
    before = snapshot(account)
    if not reasons:
        record_change(actor=actor, action=ChangeAction.DELETE, obj=account, before=before)
        account_id = account.pk
        account.delete()
        return [], [change_set for hook in registry.deleted_hooks for change_set in hook(account_id, actor)]
    change_sets: list[ChangeSet] = []
    if account.is_active:
        _, change_sets = account_disable(account=account, actor=actor)
        account.refresh_from_db()
    account.deleted_at = timezone.now()
    account.save(update_fields=["deleted_at", "updated_at"])
    account.users.update(is_active=False)
    record_change(actor=actor, action=ChangeAction.SOFT_DELETE, obj=account, before=before, after=snapshot(account))
    return reasons, change_sets


# Contacts ------------------------------------------------------------------------------------------------


def _contact_save(account: Account, data: dict[str, Any], *, prefix: str = "") -> Contact:
    usages = data.pop("usages", [])
    unknown = sorted(set(data) - set(CONTACT_FIELDS))
    if unknown:
        raise ValidationFailed(f"Unknown contact field '{unknown[0]}'.", field=f"{prefix}{unknown[0]}")
    contact = Contact(account=account, **data)
    _apply_usages(contact, usages, field=f"{prefix}usages")
    _clean(contact, prefix=prefix)
    contact.save()
    return contact


@transaction.atomic
def contact_create(*, account: Account, actor: User | None, **data: Any) -> Contact:
    require_account_access(actor, account)
    _lock_account(account)
    contact = _contact_save(account, data)
    record_change(actor=actor, action=ChangeAction.CREATE, obj=contact, after=snapshot(contact))
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor: User | None, **changes: Any) -> Contact:
    require_account_access(actor, contact.account)
    account = _lock_account(contact.account)
    # Work on a fresh copy: a refused change must not leave the caller's instance half-edited.
    contact = Contact.objects.get(pk=contact.pk)
    if "account" in changes and changes.pop("account").pk != account.pk:
        raise ValidationFailed("A contact cannot move to another account.", field="account")
    before = snapshot(contact)
    was_reachable = _is_reachable(contact)
    if "usages" in changes:
        _apply_usages(contact, changes.pop("usages"))
    unknown = sorted(set(changes) - set(CONTACT_FIELDS))
    if unknown:
        raise ValidationFailed(f"Unknown contact field '{unknown[0]}'.", field=unknown[0])
    for name, value in changes.items():
        setattr(contact, name, value)
    _clean(contact)
    contact.save()
    if was_reachable and not _has_reachable_emergency_contact(account):
        field = "usages" if before["is_emergency"] and not contact.is_emergency else "email"
        raise ValidationFailed(
            "This change would leave the account without an emergency contact reachable outside our own mail servers.",
            field=field,
            code="last_emergency_contact",
        )
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=contact, before=before, after=snapshot(contact))
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, actor: User | None) -> None:
    require_account_access(actor, contact.account)
    account = _lock_account(contact.account)
    if _is_reachable(contact) and not _has_reachable_emergency_contact(account, excluding=contact):
        raise Conflict(
            "This is the account's last emergency contact reachable outside our own mail servers; add another "
            "one before removing it.",
            code="last_emergency_contact",
        )
    record_change(actor=actor, action=ChangeAction.DELETE, obj=contact, before=snapshot(contact))
    contact.delete()


# Users ---------------------------------------------------------------------------------------------------


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise ValidationFailed(" ".join(error.messages), field="password") from error


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    email: str = "",
    account: Account | None = None,
    is_staff: bool = False,
    actor: User | None,
) -> User:
    """A staff user (no account) or a customer user of `account`."""
    require_staff(actor, "create users")
    if is_staff == (account is not None):
        raise ValidationFailed("A user is either staff or belongs to an account.", field="account")
    user = User(username=username, email=email, account=account, is_staff=is_staff)
    _clean(user, exclude=["password"])
    _validate_password(password, user)
    user.set_password(password)
    user.save()
    record_change(actor=actor, action=ChangeAction.CREATE, obj=user, after=snapshot(user))
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str, actor: User | None) -> User:
    if actor is not None and actor.pk != user.pk:
        require_staff(actor, "set other users' passwords")
    _validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    record_change(actor=actor, action=ChangeAction.SET_PASSWORD, obj=user)
    return user


# API tokens ----------------------------------------------------------------------------------------------


@transaction.atomic
def token_create(*, user: User, name: str, actor: User | None) -> tuple[ApiToken, str]:
    """Create a token and return it with its key, which is not stored and cannot be shown again."""
    if actor is not None and actor.pk != user.pk:
        require_staff(actor, "create tokens for other users")
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("Give the token a name of 1 to 100 characters.", field="name")
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=hash_token_key(key))
    record_change(actor=actor, action=ChangeAction.TOKEN_CREATE, obj=token, after=snapshot(token))
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    if actor is not None and actor.pk != token.user_id:
        require_staff(actor, "revoke other users' tokens")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_change(actor=actor, action=ChangeAction.TOKEN_REVOKE, obj=token, after=snapshot(token))
    return token


def token_touch(*, token: ApiToken) -> None:
    """Record use, at most once a minute, so authentication does not write on every request."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
