"""Staff admin for the catalogue and orders. Catalogue edits are read here and made through the services;
orders and their metric history are written only by the order services, so they are read-only. Staff bill
selected orders with an action: a preview computed by billing.services.bill_orders(commit=False), then the
same call with commit=True once confirmed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from billing.services import Bill, bill_orders
from panel.accounts.models import Contact, User
from panel.core.admin import ReadOnly
from panel.core.errors import ApplicationError
from panel.orders.models import ContractedPlan, MetricStorage, Order, Plan, Rate, Service
from panel.orders.services import today


class BillForm(forms.Form):
    date = forms.DateField(
        label="Bill up to", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}), initial=today
    )


def _preview(bill: Bill) -> dict[str, Any]:
    """A bill as the confirmation page shows it; periods with their last day (the stored end is exclusive)."""

    def rows(lines: Any) -> list[dict[str, Any]]:
        return [
            {
                "line": line,
                "last_day": line.period_end - timedelta(days=1) if line.period_end > date.min else None,
                "period_start": line.period_start if line.period_start > date.min else None,
            }
            for line in lines
        ]

    has_contact = Contact.objects.filter(account=bill.account, is_billing=True).exists()
    return {"bill": bill, "lines": rows(bill.lines), "refunds": rows(bill.refunds), "has_contact": has_contact}


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
class OrderAdmin(ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("description", "account", "service", "registered_on", "cancelled_on", "billed_until")
    list_filter = ("service", ("cancelled_on", admin.EmptyFieldListFilter))
    search_fields = ("description", "account__handle")
    list_select_related = ("account", "service")
    inlines = (MetricInline,)
    actions = ("bill_selected",)

    @admin.action(description="Bill selected orders")
    def bill_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> TemplateResponse | None:
        """Show what billing the orders would produce per account; on confirmation (`apply`) write the drafts."""
        actor = cast(User, request.user)
        orders = list(queryset.order_by("account_id", "pk"))
        form = BillForm(request.POST) if "date" in request.POST else BillForm()
        on = form.cleaned_data["date"] if form.is_bound and form.is_valid() else today()
        if "apply" in request.POST and form.is_valid():
            try:
                bills = bill_orders(orders=orders, date=on, actor=actor, commit=True)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
                return None
            drafts = [bill.invoice for bill in bills if bill.invoice is not None]
            amendments = [bill.amendment for bill in bills if bill.amendment is not None]
            if not drafts and not amendments:
                self.message_user(request, f"Nothing to bill up to {on}.", messages.WARNING)
                return None
            text = f"Created {len(drafts)} draft invoice(s)"
            if amendments:
                text += f" and {len(amendments)} draft amendment(s)"
            self.message_user(request, f"{text} up to {on}; review and issue them.", messages.SUCCESS)
            return None
        try:
            bills = bill_orders(orders=orders, date=on, actor=actor, commit=False)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Bill selected orders",
            "opts": self.model._meta,
            "form": form,
            "on": on,
            "bills": [_preview(bill) for bill in bills],
            "orders": orders,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "billing/admin/bill_orders.html", context)
