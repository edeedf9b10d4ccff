"""Staff admin for system users: read-only views with the apply state, and actions that go through the same
service functions as the API (so every change is validated, audited and provisioned)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from panel.core.admin import ReadOnly
from panel.core.errors import ApplicationError
from panel.provisioning.admin import ProvisionedReadOnlyAdmin
from panel.systemusers import services
from panel.systemusers.models import SshKey, SystemUser, UnixId


@admin.register(SystemUser)
class SystemUserAdmin(ProvisionedReadOnlyAdmin):
    list_display = ("name", "account", "server", "access", "scope", "is_main", "is_active", "state")
    list_filter = ("apply_state", "access", "is_active", "is_main", "server")
    search_fields = ("name", "account__handle")
    list_select_related = ("account", "server")
    exclude = ("password_hash",)
    actions = ("disable_logins", "enable_logins")

    def _set_active(self, request: HttpRequest, queryset: Any, active: bool) -> None:
        for user in queryset:
            try:
                services.system_user_update(system_user=user, is_active=active, actor=request.user)  # type: ignore[arg-type]
            except ApplicationError as error:
                self.message_user(request, f"{user}: {error.message}", messages.ERROR)

    @admin.action(description="Refuse every login of the selected users (files stay)")
    def disable_logins(self, request: HttpRequest, queryset: Any) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description="Allow the selected users to log in again")
    def enable_logins(self, request: HttpRequest, queryset: Any) -> None:
        self._set_active(request, queryset, True)


@admin.register(SshKey)
class SshKeyAdmin(ProvisionedReadOnlyAdmin):
    list_display = ("system_user", "type", "bits", "fingerprint", "comment", "state", "pending_delete")
    list_filter = ("apply_state", "type")
    search_fields = ("system_user__name", "fingerprint", "comment")
    list_select_related = ("system_user",)
    actions = ("revoke",)

    @admin.action(description="Revoke the selected keys (refused from the next login)")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset.filter(pending_delete=False):
            try:
                services.ssh_key_delete(key=key, actor=request.user)  # type: ignore[arg-type]
            except ApplicationError as error:
                self.message_user(request, f"{key}: {error.message}", messages.ERROR)


@admin.register(UnixId)
class UnixIdAdmin(ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    """Every uid ever given; a deleted account's row says where its home on disk stands."""

    list_display = ("uid", "handle", "account", "created_at", "removed_at", "purge_requested_at", "purged_at")
    list_filter = (("removed_at", admin.EmptyFieldListFilter), ("purged_at", admin.EmptyFieldListFilter))
    search_fields = ("handle", "=uid")
    actions = ("remove_files",)

    @admin.action(description="Remove the home of the selected deleted accounts from their servers now")
    def remove_files(self, request: HttpRequest, queryset: Any) -> None:
        for unix_id in queryset:
            try:
                change_sets = services.remains_purge(unix_id=unix_id, actor=request.user)  # type: ignore[arg-type]
            except ApplicationError as error:
                self.message_user(request, f"{unix_id}: {error.message}", messages.ERROR)
                continue
            self.message_user(request, f"{unix_id}: removal requested ({len(change_sets)} change set(s)).")
