"""What is sold (the service catalogue, plans and their rates) and what each account has ordered.

An order outlives the object it bills: it keeps the object's type, id and description, and its metric
history, so every invoice line can be recomputed after a mailbox or zone is gone.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from panel.accounts.choices import AccountType
from panel.core.models import TenantQuerySet, TimeStampedModel
from panel.orders.choices import BillingPeriod, BillingPoint, OnCancel, Payment, PricingPeriod, Rating

ZERO = Decimal(0)


def _default_ignored_types() -> list[str]:
    return [AccountType.STAFF.value]


class Service(TimeStampedModel):
    """A catalogue entry: which objects are billed (content type + match filter), how they are measured
    (a named metric) and how they are priced, billed and cancelled."""

    description = models.CharField(max_length=200)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    match = models.JSONField(default=list, blank=True, help_text="List of {field, operator, value}; all must hold.")
    metric = models.CharField(max_length=64, default="count")
    billing_period = models.CharField(max_length=16, choices=BillingPeriod.choices, default=BillingPeriod.MONTHLY)
    billing_point = models.CharField(max_length=16, choices=BillingPoint.choices, default=BillingPoint.ANNIVERSARY)
    fixed_day = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(28)], help_text="For fixed-day billing."
    )
    pricing_period = models.CharField(
        max_length=16, choices=PricingPeriod.choices, default=PricingPeriod.BILLING_PERIOD
    )
    payment = models.CharField(max_length=8, choices=Payment.choices, default=Payment.PREPAY)
    tax_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO), MaxValueValidator(100)]
    )
    nominal_price = models.DecimalField(
        max_digits=12, decimal_places=4, validators=[MinValueValidator(ZERO)], help_text="Per unit of the metric."
    )
    rating = models.CharField(max_length=16, choices=Rating.choices, default=Rating.STEP_PRICE)
    on_cancel = models.CharField(max_length=16, choices=OnCancel.choices, default=OnCancel.PRORATE)
    trial_days = models.PositiveSmallIntegerField(default=0, help_text="Orders cancelled within it are not billed.")
    ignore_account_types = models.JSONField(
        default=_default_ignored_types, blank=True, help_text="Account types never billed for this service."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["description", "pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(nominal_price__gte=0), name="orders_service_price_not_negative"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="orders_service_tax_rate"),
            models.CheckConstraint(condition=Q(fixed_day__gte=1, fixed_day__lte=28), name="orders_service_fixed_day"),
        ]

    def __str__(self) -> str:
        return self.description


class Plan(TimeStampedModel):
    """A named set of rates (e.g. "Basic", "Pro") accounts subscribe to."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class Rate(models.Model):
    """One tier of a plan's prices for a service: units above `quantity` cost `price` each."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="rates")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="rates")
    quantity = models.DecimalField(max_digits=14, decimal_places=4, validators=[MinValueValidator(ZERO)])
    price = models.DecimalField(max_digits=12, decimal_places=4, validators=[MinValueValidator(ZERO)])

    class Meta:
        ordering: ClassVar[list[str]] = ["plan", "service", "quantity"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["plan", "service", "quantity"], name="orders_rate_unique_tier"),
            models.CheckConstraint(condition=Q(quantity__gte=0, price__gte=0), name="orders_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.service} > {self.quantity} at {self.price}"


class ContractedPlan(TimeStampedModel):
    """An account's subscription to a plan, from `start_on` until `end_on` (open-ended when empty)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="contracted_plans")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="contracts")
    start_on = models.DateField()
    end_on = models.DateField(null=True, blank=True)

    tenant_path: ClassVar[str] = "account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["account", "start_on"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="orders_contractedplan_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} on {self.plan}"


class Order(TimeStampedModel):
    """One billable object of an account under one catalogue service, from registration to cancellation.

    billed_until is exclusive: the order has been billed for every day before it. billed_metric is the
    metric value its prepaid time was billed at, so an upgrade is billed for the difference only;
    compensated_until is how far its unused prepaid time (after a cancellation) was credited to other orders.
    """

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="orders")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="orders")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    description = models.CharField(max_length=250)
    registered_on = models.DateField()
    cancelled_on = models.DateField(null=True, blank=True)
    billed_on = models.DateField(null=True, blank=True)
    billed_until = models.DateField(null=True, blank=True)
    billed_metric = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    compensated_until = models.DateField(null=True, blank=True)

    tenant_path: ClassVar[str] = "account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["account", "registered_on", "pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["service", "content_type", "object_id"],
                condition=Q(cancelled_on__isnull=True),
                name="orders_order_one_open_per_object",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["content_type", "object_id"], name="orders_order_object_idx"),
            # the API's order of a tenant's orders
            models.Index(fields=["account", "registered_on", "id"], name="orders_order_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.description}"


class MetricStorage(models.Model):
    """The metric of an order from `created_on` on; `updated_on` is the last day it was seen unchanged."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="metrics")
    value = models.DecimalField(max_digits=14, decimal_places=4)
    created_on = models.DateField()
    updated_on = models.DateField()

    class Meta:
        ordering: ClassVar[list[str]] = ["order", "created_on"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["order", "created_on"], name="orders_metric_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.value} from {self.created_on}"
