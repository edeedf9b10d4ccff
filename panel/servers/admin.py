"""Staff admin for servers and placements. Writes go through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from panel.core.errors import ApplicationError
from panel.servers.choices import ServerRole
from panel.servers.hostkeys import fingerprint, scan_host_key
from panel.servers.models import Placement, Server
from panel.servers.services import (
    SERVER_EDITABLE_FIELDS,
    placement_delete,
    placement_set,
    server_confirm_host_key,
    server_register,
    server_rescan_host_key,
    server_update,
)
from panel.servers.validators import SERVER_FIELD_VALIDATORS, normalize_host_key, validate_host_key


class ServerForm(forms.ModelForm):  # type: ignore[type-arg]
    roles = forms.MultipleChoiceField(choices=ServerRole.choices, widget=forms.CheckboxSelectMultiple, required=False)

    class Meta:
        model = Server
        fields = ("name", "address", "ssh_port", "ssh_user", "service_address", "roles", "host_key", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field, validator in SERVER_FIELD_VALIDATORS.items():
            if field in self.fields and field != "roles":
                self.fields[field].validators.append(validator)
        if "host_key" in self.fields:
            self.fields["host_key"].help_text = "Leave empty to read it from the server now (ssh-keyscan)."
            self.fields["host_key"].widget = forms.TextInput(attrs={"size": 100})

    def clean_host_key(self) -> str:
        value = normalize_host_key(self.cleaned_data.get("host_key") or "")
        if value:
            validate_host_key(value)
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # Read the key here rather than on save, so an unreachable server is a form error, not a crash.
        if "host_key" in self.fields and not data.get("host_key") and data.get("address") and data.get("ssh_port"):
            try:
                data["host_key"] = scan_host_key(data["address"], data["ssh_port"])
            except ApplicationError as error:
                self.add_error("host_key", error.message)
        return data


@admin.register(Server)
class ServerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ServerForm
    list_display = (
        "name",
        "address",
        "ssh_port",
        "role_list",
        "is_active",
        "host_key_confirmed",
        "host_key_fingerprint",
    )
    list_filter = ("is_active", ("host_key_confirmed_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "address")
    actions = ["confirm_host_keys", "rescan_host_keys", "converge"]

    def get_readonly_fields(self, request: HttpRequest, obj: Server | None = None) -> Any:
        # The key is typed or read once at registration; afterwards only a rescan changes it.
        fields = ("host_key_fingerprint", "host_key_confirmed_at", "host_key_confirmed_by", "created_at", "updated_at")
        return ("host_key", *fields) if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Server | None = None) -> Any:
        editable = ["name", "address", "ssh_port", "ssh_user", "service_address", "roles", "is_active"]
        if obj is None:
            return [*editable, "host_key"]
        return [*editable, *self.get_readonly_fields(request, obj)]

    def has_delete_permission(self, request: HttpRequest, obj: Server | None = None) -> bool:
        return False  # runs and history point at servers: deactivate instead

    @admin.display(description="Roles")
    def role_list(self, obj: Server) -> str:
        return ", ".join(obj.roles)

    @admin.display(description="Confirmed", boolean=True)
    def host_key_confirmed(self, obj: Server) -> bool:
        return obj.host_key_confirmed_at is not None

    @admin.display(description="Host key fingerprint")
    def host_key_fingerprint(self, obj: Server) -> str:
        try:
            return fingerprint(obj.host_key) if obj.host_key else "-"
        except ValidationError:
            return "(invalid key)"

    def save_model(self, request: HttpRequest, obj: Server, form: Any, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in SERVER_EDITABLE_FIELDS if field in form.cleaned_data}
        if change:
            server = server_update(server=obj, actor=request.user, **data)  # type: ignore[arg-type]
        else:
            server = server_register(actor=request.user, host_key=form.cleaned_data["host_key"], **data)  # type: ignore[arg-type]
        obj.pk = server.pk
        obj.refresh_from_db()

    @admin.action(description="Confirm host key (the fingerprint shown) of selected servers")
    def confirm_host_keys(self, request: HttpRequest, queryset: QuerySet[Server]) -> None:
        for server in queryset:
            try:
                shown = fingerprint(server.host_key) if server.host_key else ""
                server_confirm_host_key(server=server, fingerprint=shown, actor=request.user)  # type: ignore[arg-type]
            except (ApplicationError, ValidationError) as error:
                self.message_user(request, f"{server}: {getattr(error, 'message', error)}", messages.ERROR)
            else:
                self.message_user(request, f"{server}: confirmed {shown}.", messages.SUCCESS)

    @admin.action(description="Converge: a full run of every service of the selected servers")
    def converge(self, request: HttpRequest, queryset: QuerySet[Server]) -> None:
        # Imported here: provisioning builds on servers, not the other way round.
        from panel.provisioning import registry
        from panel.provisioning.services import request as request_run

        for server in queryset:
            services = [name for name in registry.names() if set(registry.get(name).server_roles) & set(server.roles)]
            change_sets = [
                request_run(server=server, service=name, objects=(), actor=request.user)  # type: ignore[arg-type]
                for name in services
            ]
            self.message_user(
                request,
                f"{server}: change set(s) {', '.join(f'#{cs.pk}' for cs in change_sets)} queued for a full run."
                if change_sets
                else f"{server}: it plays no managed service.",
            )

    @admin.action(description="Rescan host key of selected servers")
    def rescan_host_keys(self, request: HttpRequest, queryset: QuerySet[Server]) -> None:
        for server in queryset:
            previous = server.host_key
            try:
                server = server_rescan_host_key(server=server, actor=request.user)  # type: ignore[arg-type]
            except ApplicationError as error:
                self.message_user(request, f"{server}: {error.message}", messages.ERROR)
                continue
            if server.host_key == previous:
                self.message_user(request, f"{server}: host key unchanged.", messages.SUCCESS)
            else:
                self.message_user(
                    request,
                    f"{server}: the host key changed to {fingerprint(server.host_key)}; it is unconfirmed until you "
                    "compare and confirm it.",
                    messages.WARNING,
                )


class PlacementForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Placement
        fields = ("role", "server", "account")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        server, role = data.get("server"), data.get("role") or self.instance.role
        if server is not None and role and not (server.is_active and server.has_role(role)):
            self.add_error("server", f"{server} must be active and have the role {role}.")
        return data


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = PlacementForm
    list_display = ("role", "server", "account")
    list_filter = ("role", "server")
    search_fields = ("account__handle", "server__name")
    list_select_related = ("server", "account")
    autocomplete_fields = ("account",)
    actions = ["delete_placements"]

    def get_readonly_fields(self, request: HttpRequest, obj: Placement | None = None) -> Any:
        # (role, account) identifies a placement; only its server moves.
        return ("role", "account") if obj is not None else ()

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletion goes through placement_delete (audited)
        return actions

    def save_model(self, request: HttpRequest, obj: Placement, form: Any, change: bool) -> None:
        placement = placement_set(role=obj.role, server=obj.server, account=obj.account, actor=request.user)  # type: ignore[arg-type]
        obj.pk = placement.pk

    def delete_model(self, request: HttpRequest, obj: Placement) -> None:
        placement_delete(placement=obj, actor=request.user)  # type: ignore[arg-type]

    @admin.action(description="Delete selected placements")
    def delete_placements(self, request: HttpRequest, queryset: QuerySet[Placement]) -> None:
        count = 0
        for placement in queryset:
            placement_delete(placement=placement, actor=request.user)  # type: ignore[arg-type]
            count += 1
        self.message_user(request, f"Deleted {count} placement(s).", messages.SUCCESS)
