"""Reads of accounts, contacts and tokens, always scoped to what the actor may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from panel.accounts.models import Account, ApiToken, Contact, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def account_list(*, actor: User | AnonymousUser, include_deleted: bool = False) -> QuerySet[Account]:
    accounts = Account.objects.visible_to(actor).prefetch_related(
        Prefetch("contacts", queryset=Contact.objects.order_by("name", "pk"))
    )
    if not include_deleted:
        accounts = accounts.filter(deleted_at__isnull=True)
    return accounts


def contact_list(*, actor: User | AnonymousUser) -> QuerySet[Contact]:
    return Contact.objects.visible_to(actor).select_related("account").filter(account__deleted_at__isnull=True)


def token_list(*, actor: User | AnonymousUser) -> QuerySet[ApiToken]:
    """A user's own tokens only; staff manage other users' tokens in the admin."""
    if not actor.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=actor)


def token_for_key(*, key_hash: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user", "user__account").filter(key_hash=key_hash).first()
