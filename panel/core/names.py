"""Who a host name belongs to: one rule for every service that takes a name from a customer.

A name held here (a zone, a mail domain, a website's domain, ...) belongs to the account holding it, and so does
every name under it: a zone's account owns everything in the zone, a mail domain's or a site's owner the names
below it. Another account's object for such a name is refused with 409 `name_owned`, in the one error shape and
without saying who holds it. A new zone also may not take in names another account holds below it. The names
come here normalized (lowercase ASCII, IDN as punycode, no trailing dot), so case, a trailing dot or the Unicode
form of a name do not get around the rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from panel.accounts.registry import registry
from panel.core.access import require_staff
from panel.core.errors import Conflict

if TYPE_CHECKING:
    from panel.accounts.models import Account, User


def name_and_parents(name: str) -> list[str]:
    """`shop.b.example` -> `shop.b.example`, `b.example`, `example`."""
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def is_held_by_another(names: list[str], account: Account, *, below: bool = False) -> bool:
    """Whether another account holds one of `names` or a name above one (with `below`, under one: one name)."""
    candidates = sorted({parent for name in names for parent in name_and_parents(name)})
    under = names[0] if below and len(names) == 1 else None
    return any(source(candidates, under, account) for source in registry.host_name_sources)


def require_own_names(
    *,
    names: list[str],
    account: Account,
    field: str,
    below: bool = False,
    override: bool = False,
    actor: User | None = None,
) -> bool:
    """Refuse `names` for `account` when another account holds one of them or a name above one (with `below`,
    also a name under it: a new zone would take those in). One query per source, the names of a request at once.

    Staff may `override` the rule for an account explicitly (a customer asking gets 403); returns whether they
    did, for the caller's audit entry."""
    if not names or not is_held_by_another(names, account, below=below):
        return False
    if override:
        require_staff(actor, "give an account a name another account holds")
        return True
    refused = next((name for name in names if is_held_by_another([name], account, below=below)), names[0])
    raise Conflict(
        f"'{refused}' belongs to another account here: it, or a domain it is part of, is that account's. Staff can "
        "give it to this account explicitly (allow_foreign_name).",
        field=field,
        code="name_owned",
    )


def held_in(
    queryset: QuerySet[Any], names: list[str], below: str | None, account: Account, account_field: str = "account"
) -> bool:
    """A host-name source over a model with a `name`: whether a row of another account holds one of `names`
    exactly, or a name under `below`."""
    query = Q(name__in=names)
    if below:
        query |= Q(name__endswith=f".{below}")
    return queryset.filter(query).exclude(**{account_field: account}).exists()
