"""Every write to the catalogue, plans and orders.

Orders are not written by hand: `order_update_for` and `order_cancel_for` follow billable objects through
their life. They are connected to the billable models' post_save/post_delete signals in apps.py, so the
service functions of mail, DNS and accounts order and cancel without knowing about orders; those signals
have no actor, so the audit entries they write are the system's.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from panel.accounts.choices import AccountType
from panel.accounts.models import Account, User
from panel.core.access import require_staff
from panel.core.audit import record_change, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import Conflict, ValidationFailed
from panel.orders import registry
from panel.orders.filters import matches, validate_match
from panel.orders.models import ContractedPlan, MetricStorage, Order, Plan, Rate, Service

SERVICE_FIELDS = (
    "match",
    "metric",
    "billing_period",
    "billing_point",
    "fixed_day",
    "pricing_period",
    "payment",
    "tax_rate",
    "rating",
    "on_cancel",
    "trial_days",
    "ignore_account_types",
    "is_active",
)


def _clean(obj: models.Model) -> None:
    try:
        obj.full_clean()
    except DjangoValidationError as error:
        raise ValidationFailed.from_django(error) from error


def decimal_input(value: Any, *, field: str, minimum: Decimal | None = Decimal(0)) -> Decimal:
    """Amounts come as Decimal, int or a decimal string; floats are refused because they cannot hold cents."""
    if isinstance(value, float | bool):
        raise ValidationFailed('Give amounts as decimal strings, e.g. "9.90".', field=field)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise ValidationFailed(f"{value!r} is not a number.", field=field) from error
    if not number.is_finite():
        raise ValidationFailed(f"{value!r} is not a number.", field=field)
    if minimum is not None and number < minimum:
        raise ValidationFailed(f"Must be {minimum} or more.", field=field, code="negative")
    return number


def today() -> date:
    return timezone.localdate()


# Catalogue -------------------------------------------------------------------------------------------------


def _check_service(service: Service) -> None:
    billable = registry.billable_by_label(f"{service.content_type.app_label}.{service.content_type.model}")
    if billable is None:
        raise ValidationFailed("This kind of object is not billable.", field="content_type")
    service.match = validate_match(service.match, billable)
    metric = registry.metric(service.metric)
    if metric is None:
        known = ", ".join(registry.metric_names())
        raise ValidationFailed(f"Unknown metric {service.metric!r}; use one of: {known}.", field="metric")
    if metric.models is not None and billable.label not in metric.models:
        raise ValidationFailed(f"The metric {service.metric!r} does not measure {billable.label}.", field="metric")
    ignored = service.ignore_account_types
    if not isinstance(ignored, list) or any(kind not in AccountType.values for kind in ignored):
        raise ValidationFailed(
            f"Account types to ignore are a list of: {', '.join(AccountType.values)}.", field="ignore_account_types"
        )
    service.tax_rate = decimal_input(service.tax_rate, field="tax_rate")
    service.nominal_price = decimal_input(service.nominal_price, field="nominal_price")
    _clean(service)


@transaction.atomic
def service_create(
    *, description: str, content_type: str, nominal_price: Any, actor: User | None, **fields: Any
) -> Service:
    """`content_type` is a billable model's label, e.g. "mail.mailbox"."""
    require_staff(actor, "edit the service catalogue")
    unknown = sorted(set(fields) - set(SERVICE_FIELDS))
    if unknown:
        raise ValidationFailed(f"Unknown field '{unknown[0]}'.", field=unknown[0])
    app_label, _, model = content_type.lower().partition(".")
    if registry.billable_by_label(content_type.lower()) is None:
        labels = ", ".join(entry.label for entry in registry.billables())
        raise ValidationFailed(f"'{content_type}' is not billable; use one of: {labels}.", field="content_type")
    service = Service(
        description=description,
        content_type=ContentType.objects.get_by_natural_key(app_label, model),
        nominal_price=nominal_price,
        **fields,
    )
    _check_service(service)
    service.save()
    record_change(actor=actor, action=ChangeAction.CREATE, obj=service, after=snapshot(service))
    return service


@transaction.atomic
def service_update(*, service: Service, actor: User | None, **changes: Any) -> Service:
    """Changes apply to what is billed from now on; orders keep their history."""
    require_staff(actor, "edit the service catalogue")
    unknown = sorted(set(changes) - {*SERVICE_FIELDS, "description", "nominal_price"})
    if unknown:
        raise ValidationFailed(f"'{unknown[0]}' cannot be changed.", field=unknown[0])
    service = Service.objects.select_for_update().get(pk=service.pk)
    before = snapshot(service)
    for name, value in changes.items():
        setattr(service, name, value)
    _check_service(service)
    service.save()
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=service, before=before, after=snapshot(service))
    return service


@transaction.atomic
def plan_create(*, name: str, description: str = "", actor: User | None) -> Plan:
    require_staff(actor, "create plans")
    plan = Plan(name=name, description=description)
    _clean(plan)
    plan.save()
    record_change(actor=actor, action=ChangeAction.CREATE, obj=plan, after=snapshot(plan))
    return plan


@transaction.atomic
def rate_create(*, plan: Plan, service: Service, quantity: Any, price: Any, actor: User | None) -> Rate:
    """One tier of a plan's prices; a plan has one tier per service and threshold."""
    require_staff(actor, "set rates")
    rate = Rate(
        plan=plan,
        service=service,
        quantity=decimal_input(quantity, field="quantity"),
        price=decimal_input(price, field="price"),
    )
    if Rate.objects.filter(plan=plan, service=service, quantity=rate.quantity).exists():
        raise Conflict(
            f"{plan} already has a rate for {service} above {rate.quantity}.", field="quantity", code="overlap"
        )
    try:
        rate.full_clean(validate_constraints=False)
    except DjangoValidationError as error:
        raise ValidationFailed.from_django(error) from error
    try:
        with transaction.atomic():
            rate.save()
    except IntegrityError as error:  # a concurrent twin got in first
        raise Conflict(f"{plan} already has a rate for {service} above {rate.quantity}.", field="quantity") from error
    record_change(actor=actor, action=ChangeAction.CREATE, obj=rate, after=snapshot(rate))
    return rate


@transaction.atomic
def contracted_plan_create(
    *, account: Account, plan: Plan, start_on: date, end_on: date | None = None, actor: User | None
) -> ContractedPlan:
    require_staff(actor, "subscribe accounts to plans")
    contract = ContractedPlan(account=account, plan=plan, start_on=start_on, end_on=end_on)
    if end_on is not None and end_on < start_on:
        raise ValidationFailed("The end comes before the start.", field="end_on")
    _clean(contract)
    contract.save()
    record_change(actor=actor, action=ChangeAction.CREATE, obj=contract, after=snapshot(contract))
    return contract


# Orders ----------------------------------------------------------------------------------------------------


def _applies(service: Service, obj: models.Model, account: Account, billable: registry.Billable) -> bool:
    return (
        service.is_active
        and not billable.is_gone(obj)
        and account.type not in service.ignore_account_types
        and matches(obj, service.match)
    )


def _record_metric(order: Order, value: Decimal, on: date) -> None:
    """A new history entry when the value changes; a change later the same day replaces that day's entry."""
    latest = order.metrics.order_by("-created_on").first()
    if latest is not None and latest.value == value:
        MetricStorage.objects.filter(pk=latest.pk).update(updated_on=on)
    elif latest is not None and latest.created_on == on:
        MetricStorage.objects.filter(pk=latest.pk).update(value=value, updated_on=on)
    else:
        MetricStorage.objects.create(order=order, value=value, created_on=on, updated_on=on)


def _cancel(order: Order, on: date, actor: User | None) -> None:
    before = snapshot(order)
    order.cancelled_on = max(on, order.registered_on)
    order.save(update_fields=["cancelled_on", "updated_at"])
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=order, before=before, after=snapshot(order))


@transaction.atomic
def order_update_for(*, obj: models.Model, actor: User | None, on: date | None = None) -> list[Order]:
    """Bring the orders of a billable object in line with the catalogue: order it under every active service
    that matches it, record its metric, cancel orders whose service no longer matches. Returns open orders."""
    billable = registry.billable_for(type(obj))
    if billable is None or obj.pk is None:
        return []
    content_type = ContentType.objects.get_for_model(obj)
    services = list(Service.objects.filter(content_type=content_type))
    if not services:
        return []  # orders protect their service, so no service also means no order to cancel
    on = on or today()
    account: Account = billable.account_of(obj)
    open_orders = {
        order.service_id: order
        for order in Order.objects.select_for_update().filter(
            content_type=content_type, object_id=obj.pk, cancelled_on__isnull=True
        )
    }
    result = []
    for service in services:
        order = open_orders.get(service.pk)
        if not _applies(service, obj, account, billable):
            if order is not None:
                _cancel(order, on, actor)
            continue
        metric = registry.metric(service.metric)
        value = metric.measure(obj) if metric is not None else Decimal(0)
        if order is None:
            order = Order.objects.create(
                account=account,
                service=service,
                content_type=content_type,
                object_id=obj.pk,
                description=str(obj)[:250],
                registered_on=on,
            )
            record_change(actor=actor, action=ChangeAction.CREATE, obj=order, after=snapshot(order))
        elif order.description != str(obj)[:250]:
            order.description = str(obj)[:250]
            order.save(update_fields=["description", "updated_at"])
        _record_metric(order, value, on)
        result.append(order)
    return result


@transaction.atomic
def order_cancel_for(*, obj: models.Model, actor: User | None, on: date | None = None) -> list[Order]:
    """Cancel every open order of an object that is being deleted. Orders themselves are kept."""
    if registry.billable_for(type(obj)) is None or obj.pk is None:
        return []
    content_type = ContentType.objects.get_for_model(obj)
    orders = list(
        Order.objects.select_for_update().filter(content_type=content_type, object_id=obj.pk, cancelled_on__isnull=True)
    )
    for order in orders:
        _cancel(order, on or today(), actor)
    return orders
