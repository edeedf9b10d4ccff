"""Reads of change sets and runs. Staff see everything; a customer sees the change sets that carry one of
its own objects, and within them only its own items."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from panel.core.models import is_staff_user
from panel.provisioning.models import ChangeSet, ChangeSetItem, Run

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import User


def change_set_list(*, actor: User | AnonymousUser) -> QuerySet[ChangeSet]:
    items = ChangeSetItem.objects.visible_to(actor).select_related("content_type")  # type: ignore[attr-defined]
    change_sets = ChangeSet.objects.select_related("server").prefetch_related(Prefetch("items", queryset=items))
    if is_staff_user(actor):
        return change_sets
    account_id = getattr(actor, "account_id", None)
    if account_id is None:
        return ChangeSet.objects.none()
    return change_sets.filter(items__account_ref=account_id).distinct()


def run_list(*, actor: User | AnonymousUser) -> QuerySet[Run]:
    if not is_staff_user(actor):
        return Run.objects.none()
    return Run.objects.select_related("server", "change_set")
