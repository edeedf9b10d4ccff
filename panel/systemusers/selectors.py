"""Reads of system users and keys, scoped to what the actor may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from panel.systemusers.models import SshKey, SystemUser

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import User


def system_user_list(*, actor: User | AnonymousUser) -> QuerySet[SystemUser]:
    return SystemUser.objects.visible_to(actor).select_related("account", "server").prefetch_related("keys")


def ssh_key_list(*, actor: User | AnonymousUser) -> QuerySet[SshKey]:
    return SshKey.objects.visible_to(actor).select_related("system_user__account")
