"""Who may call a service function: the checks every app's services share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from panel.core.errors import Conflict, Forbidden, NotFound
from panel.core.models import is_staff_user

if TYPE_CHECKING:
    from panel.accounts.models import User


def require_staff(actor: User | None, what: str) -> None:
    """Staff only (no actor: the system itself, e.g. a management command or the worker)."""
    if actor is not None and not is_staff_user(actor):
        raise Forbidden(f"Only staff may {what}.")


def require_account_access(actor: User | None, account: models.Model) -> None:
    """Staff, the system, or a user of `account`; anyone else is told the account does not exist."""
    if actor is not None and not is_staff_user(actor) and actor.account_id != account.pk:
        raise NotFound("No such account.", field="account")


ACCOUNT_DISABLED_MESSAGE = (
    "This account is disabled: its services are suspended, and until staff enable it again nothing but its "
    "contacts can be created, changed or deleted."
)


def require_account_writable(actor: User | None, account: models.Model) -> None:
    """`require_account_access`, and a disabled account's customers may read its objects but not create, change
    or delete them (409 `account_disabled`). Staff and the system still may: what they change on servers is
    rendered suspended like the rest of the account until it is enabled. Every service function writing
    something a customer owns calls this, except contacts (and the users' own passwords and API tokens, so a
    customer can still log in and read)."""
    require_account_access(actor, account)
    if actor is not None and not is_staff_user(actor) and not getattr(account, "is_active", True):
        raise Conflict(ACCOUNT_DISABLED_MESSAGE, code="account_disabled")
