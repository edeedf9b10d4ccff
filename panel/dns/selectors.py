"""Reads of zones and records, scoped to what the actor may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from panel.dns.models import Record, Zone

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import User


def zone_list(*, actor: User | AnonymousUser) -> QuerySet[Zone]:
    # A correlated subquery rather than Count() over a join: it is computed for the rows of the page only, and
    # the page's COUNT(*) leaves it out, where a GROUP BY grouped every zone of the account (or of all accounts)
    # on every request.
    live_records = (
        Record.objects.filter(zone=OuterRef("pk"), pending_delete=False)
        .order_by()
        .values("zone")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Zone.objects.visible_to(actor)
        .select_related("account", "primary")
        .annotate(record_count=Coalesce(Subquery(live_records, output_field=IntegerField()), 0))
        .order_by("name")
    )


def record_list(*, actor: User | AnonymousUser) -> QuerySet[Record]:
    return Record.objects.visible_to(actor).select_related("zone__account")
