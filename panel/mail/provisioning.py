"""How the provisioning engine reads mail state from the database and settles mail objects after a run."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Prefetch

from panel.mail.models import Address, Autoresponse, Mailbox, MailDomain
from panel.provisioning import registry
from panel.provisioning.hostvars.mail import AddressData, MailboxData, MailServerData, VacationData, render
from panel.provisioning.models import ChangeSetItem
from panel.provisioning.settle import settle_objects
from panel.servers.choices import ServerRole
from panel.servers.models import Server

SERVICE = "mail"


def _vacation(box: Mailbox) -> VacationData | None:
    reply: Autoresponse | None = getattr(box, "autoresponse", None)
    if reply is None:
        return None
    addresses = tuple(sorted(a.email for a in box.addresses.all() if a.local_part and not a.pending_delete))
    return VacationData(
        subject=reply.subject,
        body=reply.body,
        start=reply.start.isoformat() if reply.start else "",
        end=reply.end.isoformat() if reply.end else "",
        days=reply.days,
        addresses=addresses,
    )


def _mailbox(box: Mailbox) -> MailboxData:
    # A mailbox of a disabled account is suspended: no login, no delivery, its mail kept.
    return MailboxData(
        name=box.name,
        password_hash=box.password_hash,
        quota_mb=box.quota_mb,
        active=box.is_active and box.account.is_active,
        spam=box.spam,
        spam_score=box.spam_score,
        sieve_custom=box.sieve_custom,
        vacation=_vacation(box),
        absent=box.pending_delete,
    )


def load(server: Server) -> MailServerData:
    """The full mail state of one server: its domains, mailboxes and the addresses of its domains."""
    mailboxes = (
        Mailbox.objects.filter(server=server)
        .select_related("account", "autoresponse")
        .prefetch_related(Prefetch("addresses", queryset=Address.objects.select_related("domain")))
    )
    addresses = (
        Address.objects.filter(domain__server=server)
        .select_related("domain__account")
        .prefetch_related(Prefetch("mailboxes", queryset=Mailbox.objects.select_related("account")))
    )
    return MailServerData(
        domains=tuple((d.name, d.pending_delete) for d in MailDomain.objects.filter(server=server)),
        mailboxes=tuple(_mailbox(box) for box in mailboxes),
        addresses=tuple(
            AddressData(
                address=a.email,
                absent=a.pending_delete or a.domain.pending_delete,
                suspended=not a.domain.account.is_active,
                mailboxes=tuple(
                    m.name for m in a.mailboxes.all() if not m.pending_delete and m.is_active and m.account.is_active
                ),
                forwards=tuple(a.forwards),
            )
            for a in addresses
        ),
    )


def settle(items: Sequence[ChangeSetItem]) -> None:
    settle_objects((Address, Mailbox, MailDomain), items)


SPEC = registry.register(
    registry.ServiceSpec(
        name=SERVICE,
        playbook="mail.yml",
        server_roles=(ServerRole.MAIL,),
        load=load,
        render=render,  # type: ignore[arg-type]
        settle=settle,
        full_tags=("postfix", "dovecot"),
        # Mailbox, address and domain changes: the logins, sieve scripts and lookup tables (each rendered
        # whole, in one remote step per role), without packages, configuration or the full argument check.
        targeted_tags=("dovecot:users", "postfix:maps"),
        skip_tags=("always",),
        check_tags=("dovecot:files", "postfix:files"),
        argument_specs=("postfix", "dovecot"),
    )
)
