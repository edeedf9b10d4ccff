"""How the provisioning engine reads mail state from the database and settles mail objects after a run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from panel.mail.models import Address, Autoresponse, Mailbox, MailDomain
from panel.provisioning import registry
from panel.provisioning.choices import ApplyState
from panel.provisioning.hostvars.mail import AddressData, MailboxData, MailServerData, VacationData, render
from panel.provisioning.models import ChangeSetItem
from panel.provisioning.settle import settle_objects
from panel.servers.choices import ServerRole
from panel.servers.models import Server

SERVICE = "mail"


def _vacations(server: Server) -> dict[int, VacationData]:
    """mailbox id -> its vacation reply, with the addresses it answers for (those with a local part)."""
    answered: dict[int, list[str]] = defaultdict(list)
    links = Address.mailboxes.through.objects.filter(mailbox__server=server, mailbox__autoresponse__isnull=False)
    for mailbox_id, local_part, gone, domain in links.values_list(
        "mailbox_id", "address__local_part", "address__pending_delete", "address__domain__name"
    ):
        if local_part and not gone:
            answered[mailbox_id].append(f"{local_part}@{domain}")
    replies = Autoresponse.objects.filter(mailbox__server=server).values_list(
        "mailbox_id", "subject", "body", "start", "end", "days"
    )
    return {
        mailbox_id: VacationData(
            subject=subject,
            body=body,
            start=start.isoformat() if start else "",
            end=end.isoformat() if end else "",
            days=days,
            addresses=tuple(sorted(answered[mailbox_id])),
        )
        for mailbox_id, subject, body, start, end, days in replies
    }


def _mailboxes(server: Server) -> tuple[MailboxData, ...]:
    vacations = _vacations(server)
    rows = Mailbox.objects.filter(server=server).values_list(
        "pk", "name", "password_hash", "quota_mb", "is_active", "account__is_active", "spam", "spam_score",
        "sieve_custom", "pending_delete",
    )  # fmt: skip
    boxes = []
    for pk, name, password_hash, quota_mb, is_active, account_active, spam, score, sieve, gone in rows:
        # A mailbox of a disabled account is suspended: no login, no delivery, its mail kept.
        active = is_active and account_active
        vacation = vacations.get(pk)
        boxes.append(MailboxData(name, password_hash, quota_mb, active, spam, score, sieve, vacation, absent=gone))
    return tuple(boxes)


def _addresses(server: Server) -> tuple[AddressData, ...]:
    targets: dict[int, list[str]] = defaultdict(list)
    links = Address.mailboxes.through.objects.filter(address__domain__server=server)
    for address_id, name, gone, is_active, account_active in links.values_list(
        "address_id", "mailbox__name", "mailbox__pending_delete", "mailbox__is_active", "mailbox__account__is_active"
    ):
        if not gone and is_active and account_active:
            targets[address_id].append(name)
    served = Address.objects.filter(domain__server=server).exclude(domain__apply_state=ApplyState.UNPROVEN)
    rows = served.values_list(
        "pk", "local_part", "forwards", "pending_delete", "domain__name", "domain__pending_delete",
        "domain__account__is_active",
    )  # fmt: skip
    return tuple(
        AddressData(
            address=f"{local_part}@{domain}" if local_part else f"@{domain}",
            absent=gone or domain_gone,
            suspended=not account_active,
            mailboxes=tuple(targets[pk]),
            forwards=tuple(forwards),
        )
        for pk, local_part, forwards, gone, domain, domain_gone, account_active in rows
    )


def load(server: Server) -> MailServerData:
    """The full mail state of one server: its domains, mailboxes and the addresses of its domains. Read as rows,
    not model instances: at 10,000 mailboxes and addresses, building ~60,000 instances took most of a converge's
    render."""
    return MailServerData(
        domains=tuple(
            MailDomain.objects.filter(server=server)
            .exclude(apply_state=ApplyState.UNPROVEN)  # a name waiting for its proof: no mail accepted for it
            .values_list("name", "pending_delete")
        ),
        mailboxes=_mailboxes(server),
        addresses=_addresses(server),
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
