from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from panel.core.models import ObjectChange


class ReadOnly:
    """For admin pages (and inlines) of records that only service functions write: nothing is added, changed
    or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ObjectChange)
class ObjectChangeAdmin(ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    """The audit log, read-only: entries are written by service functions and never edited."""

    list_display = ("time", "actor_repr", "action", "content_type", "object_repr", "account_ref", "request_id")
    list_filter = ("action", "content_type")
    search_fields = ("object_repr", "actor_repr", "request_id", "object_id")
    date_hierarchy = "time"
    readonly_fields = (
        "time",
        "actor",
        "actor_repr",
        "action",
        "content_type",
        "object_id",
        "object_repr",
        "account_ref",
        "before",
        "after",
        "changes",
        "request_id",
    )

    @admin.display(description="Changed fields")
    def changes(self, obj: ObjectChange) -> dict[str, Any]:
        return obj.diff()
