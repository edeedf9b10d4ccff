"""Reads of the catalogue and orders, scoped to what the actor may see where customers can read them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet

from panel.orders.models import ContractedPlan, MetricStorage, Order, Rate

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import Account, User


def order_list(*, actor: User | AnonymousUser) -> QuerySet[Order]:
    return Order.objects.visible_to(actor).select_related("service", "content_type")


def orders_with_history(*, account: Account) -> QuerySet[Order]:
    """An account's orders with their service and metric history in three queries, for billing."""
    return (
        Order.objects.filter(account=account)
        .select_related("service")
        .prefetch_related(Prefetch("metrics", queryset=MetricStorage.objects.order_by("created_on")))
        .order_by("registered_on", "pk")
    )


def plan_rates(*, account: Account, on: date) -> dict[int, dict[str, list[Rate]]]:
    """{service id: {plan name: tiers}} for the plans the account has on `on`."""
    plan_ids = ContractedPlan.objects.filter(account=account, start_on__lte=on, plan__is_active=True).filter(
        Q(end_on__isnull=True) | Q(end_on__gt=on)
    )
    rates: dict[int, dict[str, list[Rate]]] = defaultdict(lambda: defaultdict(list))
    for rate in Rate.objects.filter(plan__in=plan_ids.values("plan")).select_related("plan").order_by("quantity"):
        rates[rate.service_id][rate.plan.name].append(rate)
    return {service: dict(plans) for service, plans in rates.items()}
