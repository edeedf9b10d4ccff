"""Staff admin for zones and records: state visible, writes through the DNS services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from panel.core.errors import ApplicationError
from panel.dns.models import Record, Zone
from panel.dns.services import record_delete, zone_delete
from panel.provisioning.admin import coloured


class RecordInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Record
    extra = 0
    fields = ("name", "type", "ttl", "value", "state", "apply_error", "pending_delete")
    readonly_fields = ("name", "type", "ttl", "value", "state", "apply_error", "pending_delete")
    can_delete = False

    @admin.display(description="state")
    def state(self, obj: Record) -> str:
        return coloured(obj.apply_state)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # records are added through the API or the portal, which validate them


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "account", "primary", "serial", "state", "pending_delete", "updated_at")
    list_filter = ("apply_state", "pending_delete", "primary")
    search_fields = ("name", "account__handle")
    list_select_related = ("account", "primary")
    readonly_fields = (
        "name",
        "account",
        "primary",
        "serial",
        "soa_mname",
        "soa_rname",
        "apply_state",
        "apply_error",
        "applied_at",
        "pending_delete",
    )
    fields = (*readonly_fields, "ttl", "soa_refresh", "soa_retry", "soa_expire", "soa_minimum")
    inlines = (RecordInline,)
    actions = ("delete_zones",)

    @admin.display(description="state", ordering="apply_state")
    def state(self, obj: Zone) -> str:
        return coloured(obj.apply_state)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # SOA edits go through the API so the serial and the servers follow

    def delete_model(self, request: HttpRequest, obj: Zone) -> None:
        zone_delete(zone=obj, actor=request.user)  # type: ignore[arg-type]

    @admin.action(description="Delete selected zones from every server")
    def delete_zones(self, request: HttpRequest, queryset: Any) -> None:
        for zone in queryset:
            try:
                zone_delete(zone=zone, actor=request.user)  # type: ignore[arg-type]
            except ApplicationError as error:
                self.message_user(request, f"{zone}: {error.message}", messages.ERROR)


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "zone", "type", "state", "pending_delete")
    list_filter = ("type", "apply_state", "pending_delete")
    search_fields = ("name", "value", "zone__name")
    list_select_related = ("zone",)
    readonly_fields = (
        "zone",
        "name",
        "type",
        "ttl",
        "value",
        "apply_state",
        "apply_error",
        "applied_at",
        "pending_delete",
    )

    @admin.display(description="state", ordering="apply_state")
    def state(self, obj: Record) -> str:
        return coloured(obj.apply_state)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Record) -> None:
        record_delete(record=obj, actor=request.user)  # type: ignore[arg-type]
