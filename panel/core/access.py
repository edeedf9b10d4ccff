"""Who may call a service function: the checks every app's services share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from panel.core.errors import Forbidden, NotFound
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
