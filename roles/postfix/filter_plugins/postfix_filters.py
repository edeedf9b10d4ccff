"""Filters of the postfix role: the contents of the lookup tables, computed in one pass over the mail data
(tens of thousands of mailboxes and addresses: chained Jinja filters and `select('in', list)` inside a loop
over the addresses made rendering quadratic)."""

from __future__ import annotations

import re
import shlex
from typing import Any

_DOMAIN = re.compile(r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+")
_MAILBOX = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_ADDRESS = re.compile(r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64})?@[a-z0-9]([a-z0-9.-]*[a-z0-9])?")
_FORWARD = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")


def _present(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for item in items if item.get("state", "present") == "present"]


def postfix_tables(
    domains: list[dict[str, Any]], mailboxes: list[dict[str, Any]], aliases: list[dict[str, Any]], mailbox_domain: str
) -> dict[str, list[str]]:
    """The lines of every table the role renders, sorted, as `key<TAB>value` (the templates join them under
    their header; 10,000 rows through a Jinja loop cost ~0.5 s per table, a join nothing):
    domains: customer domains; mailboxes: active mailboxes in the internal domain; aliases: addresses -> active
    mailboxes and forwards; rejected: addresses left without any target (their mailboxes are disabled),
    refused at RCPT instead of falling through to a catch-all; sender_logins: address -> logins allowed to
    send as it on submission."""
    active = sorted({str(box["name"]) for box in _present(mailboxes) if box.get("active", True)})
    active_set = set(active)
    tables: dict[str, list[str]] = {
        "domains": [f"{name}\tbaton" for name in sorted({str(domain["name"]) for domain in _present(domains)})],
        "mailboxes": [f"{name}@{mailbox_domain}\t{name}/" for name in active],
        "aliases": [],
        "rejected": [],
    }
    logins_of: list[tuple[str, list[str]]] = [(f"{name}@{mailbox_domain}", [name]) for name in active]
    for alias in sorted(_present(aliases), key=lambda alias: str(alias["address"])):
        address = str(alias["address"])
        logins = [str(name) for name in alias.get("mailboxes") or [] if str(name) in active_set]
        targets = [f"{name}@{mailbox_domain}" for name in logins] + [str(f) for f in alias.get("forwards") or []]
        if targets:
            tables["aliases"].append(f"{address}\t{', '.join(dict.fromkeys(targets))}")
        elif not address.startswith("@"):
            tables["rejected"].append(f"{address}\tREJECT 5.2.1 Mailbox disabled")
        if logins:
            logins_of.append((address, logins))
    tables["sender_logins"] = [f"{address}\t{', '.join(logins)}" for address, logins in sorted(logins_of)]
    return tables


def postfix_problems(
    domains: list[dict[str, Any]], mailboxes: list[dict[str, Any]], aliases: list[dict[str, Any]]
) -> list[str]:
    """What the argument spec cannot express, in one pass: everything ends up as keys and values of lookup
    tables, where a space, a comma or a newline would silently change the meaning of a line."""
    problems = [f"domain {d['name']!r}" for d in domains if not _DOMAIN.fullmatch(str(d.get("name", "")))]
    names = [str(box.get("name", "")) for box in mailboxes]
    problems += [f"mailbox {name!r}" for name in names if not _MAILBOX.fullmatch(name)]
    if len(set(names)) != len(names):
        problems.append("mailbox names must be unique")
    for alias in aliases:
        address = str(alias.get("address", ""))
        if not _ADDRESS.fullmatch(address):
            problems.append(f"address {address!r}")
        problems += [
            f"forward {f!r} of {address!r}" for f in alias.get("forwards") or [] if not _FORWARD.fullmatch(str(f))
        ]
    return problems


def postfix_map_files(
    maps: list[dict[str, Any]], directory: str, map_type: str, tables: dict[str, list[Any]]
) -> list[dict[str, Any]]:
    """baton.core.install_files entries of the tables (each template gets the rows as `item`): postmap after a
    change, or when the .db is missing."""
    return [
        {
            "src": table["template"],
            "item": tables,
            "dest": f"{directory}/{table['name']}",
            "label": table["name"],
            "mode": "0644",
            "after": ["postmap", f"{map_type}:%s"],
            "creates": f"{directory}/{table['name']}.db",
        }
        for table in maps
    ]


def postfix_config_files(names: list[str], directory: str, validate_command: str) -> list[dict[str, Any]]:
    """baton.core.install_files entries of main.cf and master.cf, each checked by the validate command (a shell
    command line, called with the file's name and the new file)."""
    validate = shlex.split(validate_command)
    return [
        {
            "src": f"etc/postfix/{name}.j2",
            "dest": f"{directory}/{name}",
            "label": name,
            "mode": "0644",
            "validate": [*validate, name, "%s"],
        }
        for name in names
    ]


class FilterModule:
    """postfix role filters."""

    def filters(self) -> dict[str, object]:
        return {
            "postfix_tables": postfix_tables,
            "postfix_problems": postfix_problems,
            "postfix_map_files": postfix_map_files,
            "postfix_config_files": postfix_config_files,
        }
