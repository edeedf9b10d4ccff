"""Staff view of provisioning: change sets with their objects and runs, runs with their per-task events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from panel.core.admin import ReadOnly
from panel.core.errors import ApplicationError
from panel.provisioning import engine, locks
from panel.provisioning.choices import RunKind, RunStatus
from panel.provisioning.models import ChangeSet, ChangeSetItem, Run, RunEvent
from panel.provisioning.services import change_set_cancel, change_set_retry

_COLOURS = {
    "applied": "#2e7d32",
    "successful": "#2e7d32",
    "ok": "#2e7d32",
    "changed": "#b26a00",
    "pending": "#555",
    "running": "#1565c0",
    "retrying": "#b26a00",
    "failed": "#c62828",
    "partial": "#b26a00",
    "unreachable": "#c62828",
    "timeout": "#c62828",
    "error": "#c62828",
    "cancelled": "#777",
    "skipped": "#777",
}


def coloured(state: str) -> str:
    return format_html('<b style="color:{}">{}</b>', _COLOURS.get(state, "#000"), state)


class ProvisionedReadOnlyAdmin(ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    """Staff list of a service's provisioned objects: read-only (writes go through the services, which validate),
    with the apply state coloured."""

    @admin.display(description="state", ordering="apply_state")
    def state(self, obj: Any) -> str:
        return coloured(obj.apply_state)


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields  # records of what happened: shown, never edited


class ItemInline(ReadOnlyInline):
    model = ChangeSetItem
    fields = ("content_type", "object_id", "object_repr", "scope", "outcome", "error")


class RunInline(ReadOnlyInline):
    model = Run
    fields = ("kind", "status", "started_at", "duration", "tags", "error")
    show_change_link = True


@admin.register(ChangeSet)
class ChangeSetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "service", "server", "state_coloured", "attempts", "created_at", "finished_at")
    list_filter = ("state", "service", "server")
    search_fields = ("items__object_repr", "error")
    readonly_fields = (
        "server",
        "service",
        "state",
        "attempts",
        "next_attempt_at",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "lease_expires_at",
        "error",
    )
    inlines = (ItemInline, RunInline)
    actions = ("retry", "cancel", "plan")

    @admin.display(description="state", ordering="state")
    def state_coloured(self, obj: ChangeSet) -> str:
        return coloured(obj.state)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry selected failed change sets (renders afresh)")
    def retry(self, request: HttpRequest, queryset: QuerySet[ChangeSet]) -> None:
        self._each(request, queryset, lambda cs: change_set_retry(change_set=cs, actor=request.user))  # type: ignore[arg-type]

    @admin.action(description="Cancel selected pending change sets")
    def cancel(self, request: HttpRequest, queryset: QuerySet[ChangeSet]) -> None:
        self._each(request, queryset, lambda cs: change_set_cancel(change_set=cs, actor=request.user))  # type: ignore[arg-type]

    @admin.action(description="Plan: show what applying would change (check mode + diff)")
    def plan(self, request: HttpRequest, queryset: QuerySet[ChangeSet]) -> None:
        for change_set in queryset:
            try:
                run = engine.check(change_set.server, change_set.service, kind=RunKind.PLAN)
            except locks.ServerBusy as refused:
                self.message_user(request, str(refused), messages.WARNING)
                continue
            if run.status == RunStatus.SKIPPED:
                self.message_user(request, run.error, messages.WARNING)
                continue
            self.message_user(
                request,
                format_html(
                    'Plan for {}: <a href="../run/{}/change/">run #{}</a> ({})', change_set, run.pk, run.pk, run.status
                ),
            )

    def _each(self, request: HttpRequest, queryset: QuerySet[ChangeSet], action: Any) -> None:
        for change_set in queryset:
            try:
                action(change_set)
            except ApplicationError as error:
                self.message_user(request, f"#{change_set.pk}: {error.message}", messages.ERROR)


class EventInline(ReadOnlyInline):
    model = RunEvent
    fields = ("seq", "task", "item", "status_coloured", "message", "output", "diff_block", "duration")
    readonly_fields = ("status_coloured", "output", "diff_block")

    @admin.display(description="status")
    def status_coloured(self, obj: RunEvent) -> str:
        return coloured(obj.status)

    @admin.display(description="validator / command output")
    def output(self, obj: RunEvent) -> str:
        return format_html("<pre>{}</pre>", "\n".join(p for p in (obj.stdout, obj.stderr) if p))

    @admin.display(description="diff")
    def diff_block(self, obj: RunEvent) -> str:
        return format_html("<pre>{}</pre>", obj.diff) if obj.diff else ""


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "kind", "service", "server", "status_coloured", "drift", "started_at", "duration")
    list_filter = ("kind", "status", "service", "server", "drift")
    readonly_fields = (
        "change_set",
        "server",
        "service",
        "kind",
        "status",
        "ident",
        "playbook",
        "tags",
        "only",
        "started_at",
        "finished_at",
        "duration",
        "stats",
        "vars_hash",
        "vars_diff_block",
        "drift",
        "error",
        "rejected",
    )
    fields = readonly_fields
    inlines = (EventInline,)

    @admin.display(description="status", ordering="status")
    def status_coloured(self, obj: Run) -> str:
        return coloured(obj.status)

    @admin.display(description="rendered vars diff")
    def vars_diff_block(self, obj: Run) -> str:
        return format_html("<pre>{}</pre>", obj.vars_diff)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
