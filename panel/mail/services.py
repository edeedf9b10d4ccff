"""Every write to mail domains, mailboxes, addresses and autoresponses. Each marks what it touched pending
and asks the provisioning engine to converge the account's mail server; the change set is returned."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q

from panel.accounts.models import Account, User
from panel.accounts.registry import (
    host_name_source,
    on_account_disable,
    on_account_enable,
    on_name_proven,
    waiting_name_holders,
)
from panel.core.access import require_account_writable
from panel.core.audit import record_change, record_creations, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import Conflict, ValidationFailed, boolean, checked, checked_fields, one_of, refuse
from panel.core.names import held_in, require_own_names
from panel.dns import validators as dns_validators
from panel.dns.models import Zone
from panel.dns.services import record_create
from panel.mail import validators
from panel.mail.choices import SpamPreset
from panel.mail.models import Address, Autoresponse, Mailbox, MailDomain
from panel.mail.passwords import dovecot_hash
from panel.names.choices import ProofMethod
from panel.names.services import names_waiting
from panel.provisioning import services as provisioning
from panel.provisioning.choices import ApplyState
from panel.provisioning.models import ChangeSet
from panel.servers.choices import ServerRole
from panel.servers.models import Server
from panel.servers.selectors import server_for

SERVICE = "mail"
MAILBOX_EDITABLE = ("quota_mb", "is_active", "spam", "spam_score", "sieve_custom")


def _mail_server(account: Account) -> Server:
    server = server_for(account=account, role=ServerRole.MAIL)
    if server is None:
        raise Conflict("No mail server is set up for this account yet; ask support.", code="no_server")
    return server


def _unit(obj: models.Model) -> str:
    """The scope of a mail object in a change set. Mail runs render every table whole (no "only" list), so the
    scope names what the server validates on its own: a mailbox's sieve script (sievec) stands for the mailbox
    and its autoresponse, and a refused script fails only those."""
    if isinstance(obj, Mailbox):
        return f"mailbox:{obj.name}"
    if isinstance(obj, Autoresponse):
        return f"mailbox:{obj.mailbox.name}"
    return str(obj)[:253]


def _converge(server: Server, objects: Sequence[models.Model], actor: User | None, created: bool = False) -> ChangeSet:
    """Mark `objects` pending (objects `created` just now already are) and request them on `server`."""
    if not created:
        by_model: dict[type[models.Model], list[Any]] = {}
        for obj in objects:
            by_model.setdefault(type(obj), []).append(obj.pk)
        for model, pks in by_model.items():
            model._default_manager.filter(pk__in=pks).update(apply_state=ApplyState.PENDING, apply_error="")
    targets = [(obj, _unit(obj)) for obj in objects]
    return provisioning.request(server=server, service=SERVICE, objects=targets, actor=actor)


# Domains -------------------------------------------------------------------------------------------------


def _dns_follows(domain: MailDomain, actor: User | None) -> None:
    """When the account's zone of this name is hosted here, its MX and SPF records follow automatically."""
    zone = Zone.objects.filter(name=domain.name, account=domain.account, pending_delete=False).first()
    if zone is None:
        return
    wanted = [("MX", f"10 {settings.BATON_MAIL_HOSTNAME}"), ("TXT", "v=spf1 mx -all")]
    existing = set(zone.records.filter(name="@", pending_delete=False).values_list("type", "value"))
    for rtype, value in wanted:
        has_type = any(t == rtype and (rtype != "TXT" or v.startswith("v=spf1")) for t, v in existing)
        if not has_type:
            record_create(zone=zone, name="@", type=rtype, value=value, actor=actor)


@transaction.atomic
def mail_domain_create(
    *, account: Account, name: str, actor: User | None, allow_foreign_name: bool = False
) -> tuple[MailDomain, ChangeSet | None]:
    """`allow_foreign_name` (staff only): a name another account holds (panel.core.names), or outside every zone
    here without the account's proof (panel.names), audited. A name waiting for a TXT proof makes the domain wait
    (`unproven`, no change set): mail for it is not accepted until it is proven."""
    require_account_writable(actor, account)
    name = checked("name", dns_validators.normalize_zone_name, name)
    overridden = require_own_names(
        names=[name], account=account, field="name", override=allow_foreign_name, actor=actor
    )
    waits = not allow_foreign_name and bool(
        names_waiting(account=account, names=[name], methods=(ProofMethod.DNS,), actor=actor, field="name")
    )
    server = _mail_server(account)
    state = ApplyState.UNPROVEN if waits else ApplyState.PENDING
    domain = MailDomain(name=name, account=account, server=server, apply_state=state)
    try:
        with transaction.atomic():
            domain.save()
    except IntegrityError as error:
        raise Conflict(f"'{name}' already receives mail here.", field="name", code="taken") from error
    after = {**snapshot(domain), **({"name_override": True} if overridden else {})}
    record_change(actor=actor, action=ChangeAction.CREATE, obj=domain, after=after)
    if waits:
        return domain, None
    _dns_follows(domain, actor)
    return domain, _converge(server, [domain], actor, created=True)


@transaction.atomic
def mail_domain_delete(*, domain: MailDomain, actor: User | None) -> ChangeSet:
    """The domain and its addresses stay, marked for deletion, until the server dropped them."""
    require_account_writable(actor, domain.account)
    record_change(actor=actor, action=ChangeAction.DELETE, obj=domain, before=snapshot(domain))
    MailDomain.objects.filter(pk=domain.pk).update(pending_delete=True)
    domain.addresses.update(pending_delete=True)
    return _converge(domain.server, [domain, *domain.addresses.all()], actor)


# Mailboxes -----------------------------------------------------------------------------------------------


def _mailbox_fields(changes: dict[str, Any]) -> dict[str, Any]:
    checks: dict[str, Callable[[Any], Any]] = {
        "quota_mb": validators.validate_quota,
        "sieve_custom": validators.validate_sieve,
        "spam": one_of(SpamPreset.values),
        "spam_score": lambda v: None if isinstance(v, int) and 1 <= v <= 50 else refuse("A score from 1 to 50."),
        "is_active": boolean,
    }
    checked_fields(changes, checks)
    return changes


@transaction.atomic
def mailbox_create(
    *, account: Account, name: str, password: str, actor: User | None, **fields: Any
) -> tuple[Mailbox, ChangeSet]:
    require_account_writable(actor, account)
    checked("name", validators.validate_mailbox_name, name)
    checked("password", validators.validate_password, password)
    server = _mail_server(account)
    mailbox = Mailbox(
        name=name, account=account, server=server, password_hash=dovecot_hash(password), **_mailbox_fields(fields)
    )
    try:
        with transaction.atomic():
            mailbox.save()
    except IntegrityError as error:
        raise _name_taken(name, "name") from error
    record_change(actor=actor, action=ChangeAction.CREATE, obj=mailbox, after=snapshot(mailbox))
    return mailbox, _converge(server, [mailbox], actor, created=True)


MAILBOXES_PER_REQUEST = 1000


@transaction.atomic
def mailbox_create_many(
    *, account: Account, mailboxes: Sequence[dict[str, Any]], actor: User | None
) -> tuple[list[Mailbox], ChangeSet]:
    """Create many mailboxes of one account at once (an import, a migration): all of them or none, one change set
    and so one run. Each entry is checked as mailbox_create checks one; an error names its entry
    (`mailboxes.3.name`)."""
    require_account_writable(actor, account)
    if not 1 <= len(mailboxes) <= MAILBOXES_PER_REQUEST:
        raise ValidationFailed(f"Give 1 to {MAILBOXES_PER_REQUEST} mailboxes.", field="mailboxes")
    entries = [_mailbox_entry(index, dict(entry)) for index, entry in enumerate(mailboxes)]
    first_index: dict[str, int] = {}
    for index, (name, _, _) in enumerate(entries):
        if name in first_index:
            raise ValidationFailed(
                f"'{name}' is also entry {first_index[name]} of this request.",
                field=f"mailboxes.{index}.name",
                code="duplicate",
            )
        first_index[name] = index
    server = _mail_server(account)
    taken = set(Mailbox.objects.filter(server=server, name__in=first_index).values_list("name", flat=True))
    if taken:
        name = min(taken, key=first_index.__getitem__)
        raise _name_taken(name, f"mailboxes.{first_index[name]}.name")
    created = []
    for name, password, fields in entries:
        mailbox = Mailbox(name=name, account=account, server=server, password_hash=dovecot_hash(password), **fields)
        try:
            with transaction.atomic():
                mailbox.save()  # one by one: the orders app follows each saved mailbox (post_save)
        except IntegrityError as error:  # created meanwhile by another request
            raise _name_taken(name, f"mailboxes.{first_index[name]}.name") from error
        created.append(mailbox)
    record_creations(actor=actor, objects=created)
    return created, _converge(server, created, actor, created=True)


def _name_taken(name: str, field: str) -> Conflict:
    return Conflict(f"The mailbox name '{name}' is taken on this server.", field=field, code="taken")


def _mailbox_entry(index: int, entry: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    try:
        name, password = entry.pop("name", None), entry.pop("password", None)
        if name is None or password is None:
            raise ValidationFailed(
                "Each mailbox needs a name and a password.", field="name" if name is None else "password"
            )
        checked("name", validators.validate_mailbox_name, name)
        checked("password", validators.validate_password, password)
        return name, password, _mailbox_fields(entry)
    except ValidationFailed as error:
        raise ValidationFailed(
            error.message, code=error.code, fields={f"mailboxes.{index}.{f}": m for f, m in error.fields.items()}
        ) from error


@transaction.atomic
def mailbox_update(*, mailbox: Mailbox, actor: User | None, **changes: Any) -> tuple[Mailbox, ChangeSet]:
    require_account_writable(actor, mailbox.account)
    mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    if mailbox.pending_delete:
        raise Conflict("This mailbox is being deleted.", code="deleted")
    if changes.get("name", mailbox.name) != mailbox.name:
        raise ValidationFailed("A mailbox cannot be renamed: it is the login and the maildir.", field="name")
    changes.pop("name", None)
    before = snapshot(mailbox)
    for field, value in _mailbox_fields(changes).items():
        setattr(mailbox, field, value)
    mailbox.save()
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=mailbox, before=before, after=snapshot(mailbox))
    return mailbox, _converge(mailbox.server, [mailbox], actor)


@transaction.atomic
def mailbox_set_password(*, mailbox: Mailbox, password: str, actor: User | None) -> tuple[Mailbox, ChangeSet]:
    require_account_writable(actor, mailbox.account)
    checked("password", validators.validate_password, password)
    mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    mailbox.password_hash = dovecot_hash(password)
    mailbox.save(update_fields=["password_hash", "updated_at"])
    record_change(actor=actor, action=ChangeAction.SET_PASSWORD, obj=mailbox)
    return mailbox, _converge(mailbox.server, [mailbox], actor)


@transaction.atomic
def mailbox_delete(*, mailbox: Mailbox, actor: User | None) -> ChangeSet:
    require_account_writable(actor, mailbox.account)
    record_change(actor=actor, action=ChangeAction.DELETE, obj=mailbox, before=snapshot(mailbox))
    Mailbox.objects.filter(pk=mailbox.pk).update(pending_delete=True)
    return _converge(mailbox.server, [mailbox], actor)


# Addresses -----------------------------------------------------------------------------------------------


def _destinations(
    account: Account, mailboxes: Iterable[Mailbox], forwards: Iterable[str]
) -> tuple[list[Mailbox], list[str]]:
    boxes = list(mailboxes)
    if any(box.account_id != account.pk or box.pending_delete for box in boxes):
        raise ValidationFailed("Addresses deliver only to mailboxes of the same account.", field="mailboxes")
    clean = sorted({checked("forwards", validators.normalize_forward, f) for f in forwards})
    if not boxes and not clean:
        raise ValidationFailed("Deliver to at least one mailbox or forward address.", field="mailboxes")
    return boxes, clean


@transaction.atomic
def address_create(
    *,
    domain: MailDomain,
    local_part: str = "",
    mailboxes: Iterable[Mailbox] = (),
    forwards: Iterable[str] = (),
    actor: User | None,
) -> tuple[Address, ChangeSet | None]:
    require_account_writable(actor, domain.account)
    if domain.pending_delete:
        raise Conflict("This mail domain is being deleted.", code="deleted")
    local_part = checked("local_part", validators.normalize_local_part, local_part)
    boxes, clean = _destinations(domain.account, mailboxes, forwards)
    waits = domain.apply_state == ApplyState.UNPROVEN  # it goes to the server with its domain
    state = ApplyState.UNPROVEN if waits else ApplyState.PENDING
    address = Address(domain=domain, local_part=local_part, forwards=clean, apply_state=state)
    try:
        with transaction.atomic():
            address.save()
    except IntegrityError as error:
        raise Conflict(f"{address} exists already.", field="local_part", code="taken") from error
    address.mailboxes.set(boxes)
    record_change(actor=actor, action=ChangeAction.CREATE, obj=address, after=snapshot(address))
    if waits:
        return address, None
    return address, _converge(domain.server, [address], actor, created=True)


@transaction.atomic
def address_update(
    *,
    address: Address,
    actor: User | None,
    mailboxes: Iterable[Mailbox] | None = None,
    forwards: Iterable[str] | None = None,
    **rest: Any,
) -> tuple[Address, ChangeSet | None]:
    require_account_writable(actor, address.domain.account)
    if (
        rest.get("local_part", address.local_part) != address.local_part
        or rest.get("domain", address.domain) != address.domain
    ):
        raise ValidationFailed("An address cannot be renamed; create the new one.", field="local_part")
    boxes, clean = _destinations(
        address.domain.account,
        address.mailboxes.all() if mailboxes is None else mailboxes,
        address.forwards if forwards is None else forwards,
    )
    before = snapshot(address)
    address.forwards = clean
    address.save()
    address.mailboxes.set(boxes)
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=address, before=before, after=snapshot(address))
    if address.apply_state == ApplyState.UNPROVEN:
        return address, None
    return address, _converge(address.domain.server, [address], actor)


@transaction.atomic
def address_delete(*, address: Address, actor: User | None) -> ChangeSet:
    require_account_writable(actor, address.domain.account)
    record_change(actor=actor, action=ChangeAction.DELETE, obj=address, before=snapshot(address))
    Address.objects.filter(pk=address.pk).update(pending_delete=True)
    return _converge(address.domain.server, [address], actor)


# Autoresponses -------------------------------------------------------------------------------------------


@transaction.atomic
def autoresponse_set(
    *,
    mailbox: Mailbox,
    subject: str,
    body: str,
    start: date | None = None,
    end: date | None = None,
    days: int = 7,
    actor: User | None,
) -> tuple[Autoresponse, ChangeSet]:
    require_account_writable(actor, mailbox.account)
    checked("subject", lambda v: validators.validate_text(v, max_length=200, multiline=False), subject)
    checked("body", lambda v: validators.validate_text(v, max_length=8000, multiline=True), body)
    if not 1 <= days <= 60:
        raise ValidationFailed("Reply to the same sender at most every 1 to 60 days.", field="days")
    if start and end and end < start:
        raise ValidationFailed("The end comes before the start.", field="end")
    reply, _ = Autoresponse.objects.update_or_create(
        mailbox=mailbox, defaults={"subject": subject, "body": body, "start": start, "end": end, "days": days}
    )
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=reply, after=snapshot(reply))
    return reply, _converge(mailbox.server, [mailbox], actor)


@transaction.atomic
def autoresponse_delete(*, mailbox: Mailbox, actor: User | None) -> ChangeSet:
    require_account_writable(actor, mailbox.account)
    Autoresponse.objects.filter(mailbox=mailbox).delete()
    return _converge(mailbox.server, [mailbox], actor)


# Account disable / enable --------------------------------------------------------------------------------


def _resuspend_mail(account: Account, actor: User | None) -> list[ChangeSet]:
    """The account was disabled or enabled: every mail domain, mailbox and address of it goes to its server
    again. The loader renders a disabled account's mailboxes inactive (no login, no delivery, mail kept) and
    its addresses without targets (refused at RCPT), and restores both on enable."""
    objects: dict[int, list[models.Model]] = {}
    servers: dict[int, Server] = {}
    domains = account.mail_domains.filter(pending_delete=False).exclude(apply_state=ApplyState.UNPROVEN)
    for domain in domains.select_related("server"):
        servers[domain.server_id] = domain.server
        objects.setdefault(domain.server_id, []).extend([domain, *domain.addresses.filter(pending_delete=False)])
    for mailbox in account.mailboxes.filter(pending_delete=False).select_related("server"):
        servers[mailbox.server_id] = mailbox.server
        objects.setdefault(mailbox.server_id, []).append(mailbox)
    return [_converge(servers[pk], objects[pk], actor) for pk in sorted(objects)]


on_account_disable(_resuspend_mail)
on_account_enable(_resuspend_mail)


@on_name_proven
def _release_domains(account: Account, name: str, method: str, actor: User | None) -> list[ChangeSet]:
    """The account proved `name` through DNS (an HTTP token does not prove who receives a domain's mail): its mail
    domain that waited, and the addresses made meanwhile, go to the server."""
    if method != ProofMethod.DNS:
        return []
    change_sets = []
    waiting = account.mail_domains.filter(name=name, apply_state=ApplyState.UNPROVEN, pending_delete=False)
    for domain in waiting.select_related("server", "account"):
        addresses = list(domain.addresses.filter(pending_delete=False))
        MailDomain.objects.filter(pk=domain.pk).update(apply_state=ApplyState.PENDING)
        Address.objects.filter(domain=domain).update(apply_state=ApplyState.PENDING)
        _dns_follows(domain, actor)
        change_sets.append(_converge(domain.server, [domain, *addresses], actor, created=True))
    return change_sets


@waiting_name_holders
def _drop_waiting_domains(names: list[str], below: str | None, account: Account, actor: User | None) -> None:
    """Another account's mail domains still waiting for a proof of these names go, with their addresses (neither
    ever reached a server)."""
    query = Q(name__in=names) | (Q(name__endswith=f".{below}") if below else Q(pk__in=[]))
    for domain in MailDomain.objects.filter(query, apply_state=ApplyState.UNPROVEN).exclude(account=account):
        record_change(actor=actor, action=ChangeAction.DELETE, obj=domain, before=snapshot(domain))
        domain.delete()


host_name_source(
    lambda names, below, account: held_in(
        MailDomain.objects.exclude(apply_state=ApplyState.UNPROVEN), names, below, account
    )
)
