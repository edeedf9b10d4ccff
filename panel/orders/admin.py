"""Staff admin for the catalogue and orders. Catalogue edits are read here and made through the services;
orders and their metric history are written only by the order services, so they are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from panel.orders.models import ContractedPlan, MetricStorage, Order, Plan, Rate, Service


class RateInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Rate
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("description", "content_type", "metric", "billing_period", "payment", "nominal_price", "is_active")
    list_filter = ("content_type", "billing_period", "payment", "is_active")
    search_fields = ("description",)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "is_active")
    inlines = (RateInline,)


@admin.register(ContractedPlan)
class ContractedPlanAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("account", "plan", "start_on", "end_on")
    list_select_related = ("account", "plan")
    search_fields = ("account__handle",)


class MetricInline(admin.TabularInline):  # type: ignore[type-arg]
    model = MetricStorage
    extra = 0
    can_delete = False
    readonly_fields = ("value", "created_on", "updated_on")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("description", "account", "service", "registered_on", "cancelled_on", "billed_until")
    list_filter = ("service", ("cancelled_on", admin.EmptyFieldListFilter))
    search_fields = ("description", "account__handle")
    list_select_related = ("account", "service")
    inlines = (MetricInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
