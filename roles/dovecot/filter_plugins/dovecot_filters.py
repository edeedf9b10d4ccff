"""Filters of the dovecot role: one pass over the mailbox list, which may hold tens of thousands of mailboxes
(chained Jinja filters such as rejectattr('name', 'in', ...) walked it once per filter, and quadratically)."""

from __future__ import annotations

import re
from typing import Any


def _has_rules(mailbox: dict[str, Any]) -> bool:
    return mailbox.get("spam", "off") != "off" or bool(mailbox.get("vacation")) or bool(mailbox.get("sieve_custom"))


def _logins_and_scripts(mailboxes: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The present and active mailboxes, sorted by name (the logins), and the present mailboxes with rules (a
    spam preset, a vacation or a script of their own) without their password hashes, since sieve entries end
    up in results and events."""
    active, sieve = [], []
    for mailbox in mailboxes:
        if mailbox.get("state") == "absent":
            continue
        if mailbox.get("active", True):
            active.append(mailbox)
        if _has_rules(mailbox):
            sieve.append({key: value for key, value in mailbox.items() if key != "password_hash"})
    active.sort(key=lambda mailbox: str(mailbox["name"]))
    return active, sieve


def dovecot_absent_names(mailboxes: list[dict[str, Any]]) -> list[str]:
    return [str(mailbox["name"]) for mailbox in mailboxes if mailbox.get("state") == "absent"]


def dovecot_sieve_files(mailboxes: list[dict[str, Any]], directory: str, sievec: str) -> list[dict[str, Any]]:
    """baton.core.install_files entries of the sieve scripts, each compiled by sievec before it goes live."""
    return [
        {
            "src": "var/lib/dovecot/sieve/mailbox.sieve.j2",
            "dest": f"{directory}/{mailbox['name']}.sieve",
            "item": mailbox,
            "label": f"sieve script of {mailbox['name']}",
            "unit": f"mailbox:{mailbox['name']}",
            "mode": "0644",
            "validate": [sievec, "%s"],
        }
        for mailbox in mailboxes
    ]


_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_HASH = re.compile(r"\{[A-Z0-9.-]+\}[^:\s]+")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})?")


def dovecot_problems(mailboxes: list[dict[str, Any]], retention: str) -> list[str]:
    """What the argument spec cannot express, in one pass: names become paths and passwd-file keys, hashes
    passwd-file fields (a colon or a newline would corrupt the file). Never shows a hash."""
    problems, seen = [], set()
    for mailbox in mailboxes:
        name = str(mailbox.get("name", ""))
        if not _NAME.fullmatch(name):
            problems.append(f"mailbox name {name!r} does not match {_NAME.pattern}")
        if name in seen:
            problems.append(f"mailbox name {name!r} appears twice")
        seen.add(name)
        if mailbox.get("state") == "absent" or not mailbox.get("active", True):
            continue
        if not _HASH.fullmatch(str(mailbox.get("password_hash", ""))):
            problems.append(f"mailbox {name!r} needs a password_hash {{SCHEME}}hash without colons, spaces, newlines")
        vacation = mailbox.get("vacation") or {}
        for bound in ("start", "end"):
            if not _DATE.fullmatch(str(vacation.get(bound) or "")):
                problems.append(f"mailbox {name!r}: vacation {bound} must be YYYY-MM-DD or empty")
    if retention not in ("move", "keep", "delete"):
        problems.append(f"dovecot__retention must be move, keep or delete, not {retention!r}")
    return problems


def _passwd_line(mailbox: dict[str, Any]) -> str:
    """name:password_hash:uid:gid:gecos:home:shell:extra fields (the quota, when there is one)."""
    quota = int(mailbox.get("quota_mb") or 0)
    extra = f"userdb_quota_storage_size={quota}M" if quota > 0 else ""
    return f"{mailbox['name']}:{mailbox['password_hash']}::::::{extra}"


def dovecot_user_files(
    mailboxes: list[dict[str, Any]], passwd_file: str, passwd_group: str, sieve_dir: str, sievec: str
) -> list[dict[str, Any]]:
    """baton.core.install_files entries of the passwd-file (its template gets the lines of the active mailboxes
    as `item`: 10,000 rows through a Jinja loop cost ~0.5 s, a join nothing) and of the sieve scripts, from one
    pass over the mailboxes."""
    active, sieve = _logins_and_scripts(mailboxes)
    passwd = {
        "src": "etc/dovecot/users.j2",
        "dest": passwd_file,
        "item": [_passwd_line(mailbox) for mailbox in active],
        "label": "passwd-file",
        "secret": True,
        "group": passwd_group,
        "mode": "0640",
    }
    return [passwd, *dovecot_sieve_files(sieve, sieve_dir, sievec)]


class FilterModule:
    """dovecot role filters."""

    def filters(self) -> dict[str, object]:
        return {
            "dovecot_absent_names": dovecot_absent_names,
            "dovecot_problems": dovecot_problems,
            "dovecot_user_files": dovecot_user_files,
        }
