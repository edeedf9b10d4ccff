"""Reads of zones and records, scoped to what the actor may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from panel.dns.models import Record, Zone

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import User


def zone_list(*, actor: User | AnonymousUser) -> QuerySet[Zone]:
    return (
        Zone.objects.visible_to(actor)
        .select_related("account", "primary")
        .annotate(record_count=Count("records", filter=Q(records__pending_delete=False)))
        .order_by("name")
    )


def record_list(*, actor: User | AnonymousUser) -> QuerySet[Record]:
    return Record.objects.visible_to(actor).select_related("zone__account")
