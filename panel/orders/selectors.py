"""Reads of the catalogue and orders, scoped to what the actor may see where customers can read them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from panel.orders.models import ContractedPlan, MetricStorage, Order, Rate

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import User


def order_list(*, actor: User | AnonymousUser) -> QuerySet[Order]:
    return Order.objects.visible_to(actor).select_related("service", "content_type")


def orders_per_account(*, after: int, among: Sequence[int] | None = None, limit: int) -> list[tuple[int, int]]:
    """(account id, number of orders) for up to `limit` accounts with orders and an id above `after`, by id;
    only accounts in `among` (sorted) when given. The billing run walks every account with these pages."""
    orders = Order.objects.filter(account_id__gt=after)
    if among is not None:
        orders = orders.filter(account_id__in=[pk for pk in among if pk > after][:limit])
    counts = orders.values("account_id").annotate(count=Count("pk")).order_by("account_id")
    return list(counts.values_list("account_id", "count")[:limit])


def orders_to_bill(*, accounts: Collection[int], lock: bool = False) -> QuerySet[Order]:
    """Every order of the accounts; with `lock`, locked until the transaction ends, so that two runs cannot
    bill the same days twice."""
    orders = Order.objects.filter(account_id__in=accounts).order_by("account_id", "registered_on", "pk")
    return orders.select_for_update() if lock else orders


def metric_history(*, accounts: Collection[int]) -> QuerySet[MetricStorage, tuple[int, date, Decimal]]:
    """(order id, since, value) of every metric entry of the accounts' orders, by order and date."""
    return (
        MetricStorage.objects.filter(order__account_id__in=accounts)
        .order_by("order_id", "created_on")
        .values_list("order_id", "created_on", "value")
    )


def plan_rates(*, accounts: Collection[int], on: date) -> dict[int, dict[int, dict[str, list[Rate]]]]:
    """{account id: {service id: {plan name: tiers}}} for the plans each account has on `on`."""
    contracts = ContractedPlan.objects.filter(account_id__in=accounts, start_on__lte=on, plan__is_active=True).filter(
        Q(end_on__isnull=True) | Q(end_on__gt=on)
    )
    plans_of: dict[int, set[int]] = defaultdict(set)
    for account_id, plan_id in contracts.values_list("account_id", "plan_id"):
        plans_of[account_id].add(plan_id)
    tiers: dict[int, list[Rate]] = defaultdict(list)
    wanted = set().union(*plans_of.values())  # empty: Django answers the query below without the database
    for rate in Rate.objects.filter(plan_id__in=wanted).select_related("plan").order_by("quantity"):
        tiers[rate.plan_id].append(rate)
    result: dict[int, dict[int, dict[str, list[Rate]]]] = {}
    for account_id, plan_ids in plans_of.items():
        rates: dict[int, dict[str, list[Rate]]] = defaultdict(lambda: defaultdict(list))
        for rate in (rate for plan_id in plan_ids for rate in tiers[plan_id]):
            rates[rate.service_id][rate.plan.name].append(rate)
        result[account_id] = {service: dict(plans) for service, plans in rates.items()}
    return result
