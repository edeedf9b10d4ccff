"""Renderer of the mail service: the panel's mail objects on one server -> postfix__host_* and
dovecot__host_* variables. Pure and sorted; customer strings (and hashes) tagged unsafe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from panel.provisioning.hostvars import unsafe


@dataclass(frozen=True)
class VacationData:
    subject: str
    body: str
    start: str  # YYYY-MM-DD or ""
    end: str
    days: int
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class MailboxData:
    name: str
    password_hash: str
    quota_mb: int
    active: bool
    spam: str = "off"
    spam_score: int = 5
    sieve_custom: str = ""
    vacation: VacationData | None = None
    absent: bool = False


@dataclass(frozen=True)
class AddressData:
    address: str  # local@domain, or @domain for a catch-all
    mailboxes: tuple[str, ...] = ()
    forwards: tuple[str, ...] = ()
    absent: bool = False
    # The address's account is disabled: it keeps no target, so postfix refuses mail to it at RCPT (a catch-all
    # simply stops catching). Mailboxes of a disabled account come as active=False.
    suspended: bool = False


@dataclass(frozen=True)
class MailServerData:
    domains: tuple[tuple[str, bool], ...]  # (name, absent)
    mailboxes: tuple[MailboxData, ...]
    addresses: tuple[AddressData, ...]


def _state(absent: bool) -> str:
    return "absent" if absent else "present"


def _dovecot_mailbox(box: MailboxData) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "name": unsafe(box.name),
        "password_hash": unsafe(box.password_hash),
        "quota_mb": box.quota_mb,
        "state": _state(box.absent),
        "active": box.active,
        "spam": box.spam,
        "spam_score": box.spam_score,
    }
    if box.sieve_custom:
        rendered["sieve_custom"] = unsafe(box.sieve_custom)
    if box.vacation is not None:
        v = box.vacation
        rendered["vacation"] = {
            "subject": unsafe(v.subject),
            "body": unsafe(v.body),
            "start": v.start,
            "end": v.end,
            "days": v.days,
            "addresses": [unsafe(a) for a in sorted(v.addresses)],
        }
    return rendered


def render(data: MailServerData) -> dict[str, Any]:
    mailboxes = sorted(data.mailboxes, key=lambda box: box.name)
    return {
        "postfix__host_domains": [
            {"name": unsafe(name), "state": _state(absent)} for name, absent in sorted(data.domains)
        ],
        "postfix__host_mailboxes": [
            {"name": unsafe(box.name), "state": _state(box.absent), "active": box.active} for box in mailboxes
        ],
        "postfix__host_aliases": [
            {
                "address": unsafe(a.address),
                "mailboxes": [] if a.suspended else [unsafe(m) for m in sorted(a.mailboxes)],
                "forwards": [] if a.suspended else [unsafe(f) for f in sorted(a.forwards)],
                "state": _state(a.absent),
            }
            for a in sorted(data.addresses, key=lambda a: a.address)
        ],
        "dovecot__host_mailboxes": [_dovecot_mailbox(box) for box in mailboxes],
    }
