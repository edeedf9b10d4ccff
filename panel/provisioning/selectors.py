"""Reads of change sets and runs. Staff see everything; a customer sees the change sets that carry one of
its own objects, and within them only its own items."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from panel.core.models import is_staff_user
from panel.provisioning.choices import ChangeSetState
from panel.provisioning.models import ChangeSet, ChangeSetItem, Run

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import User


def change_set_list(*, actor: User | AnonymousUser) -> QuerySet[ChangeSet]:
    items = ChangeSetItem.objects.visible_to(actor).select_related("content_type")  # type: ignore[attr-defined]
    change_sets = ChangeSet.objects.select_related("server").prefetch_related(Prefetch("items", queryset=items))
    if is_staff_user(actor):
        # staff see the ids of every change set's runs: one query for the page, not one per change set
        return change_sets.prefetch_related(Prefetch("runs", queryset=Run.objects.only("pk", "change_set_id")))
    account_id = getattr(actor, "account_id", None)
    if account_id is None:
        return ChangeSet.objects.none()
    # The ids of the customer's change sets through its items (indexed by account), rather than a join +
    # DISTINCT or an EXISTS per row: the count and the newest-first page need not walk the whole history.
    theirs = ChangeSetItem.objects.filter(account_ref=account_id).values("change_set_id")
    # Newest first by id, which grows with creation time: the database then walks the customer's ids in order
    # (2 ms at 10,000 change sets) instead of sorting all of them by created_at for every page (11-20 ms).
    return change_sets.filter(pk__in=theirs).order_by("-pk")


def customer_change_set_ids(*, account_id: int) -> QuerySet[ChangeSetItem]:
    """The ids of an account's change sets, newest first, read from the index of its items alone: the count and
    deep pages of its unfiltered change set list (change_set_list orders the same way)."""
    items = ChangeSetItem.objects.filter(account_ref=account_id).order_by("-change_set_id")
    return items.values_list("change_set_id", flat=True).distinct()  # type: ignore[return-value]


def run_list(*, actor: User | AnonymousUser) -> QuerySet[Run]:
    if not is_staff_user(actor):
        return Run.objects.none()
    return Run.objects.select_related("server", "change_set")


def burst_in_progress(*, server_id: int, service: str, window: float) -> bool:
    """Whether the pending change set of this server and service follows another one by less than `window`
    seconds: changes are coming in a burst, so waiting lets more of them join one run. A lone change (the
    previous one is older) is run at once."""
    created = ChangeSet.objects.filter(server_id=server_id, service=service).order_by("-created_at", "-pk")
    pending = created.filter(state=ChangeSetState.PENDING).values_list("created_at", flat=True).first()
    if pending is None:
        return False
    previous = created.filter(created_at__lt=pending).values_list("created_at", flat=True).first()
    return previous is not None and pending - previous < timedelta(seconds=window)
