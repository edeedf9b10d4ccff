"""Input shapes for the servers API. Domain rules live in the services; these only describe fields."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from panel.accounts.models import Account
from panel.core.api.fields import PrimaryKeyRelatedField
from panel.servers.choices import ServerRole
from panel.servers.hostkeys import fingerprint
from panel.servers.models import Placement, Server
from panel.servers.validators import (
    SERVER_FIELD_VALIDATORS,
    normalize_host_key,
    validate_host_key,
    validate_roles,
)


class ServerSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ServerRole.choices),
        allow_empty=True,
        required=False,
        validators=[validate_roles],
    )
    host_key = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text='Pinned SSH host key "ssh-ed25519 AAAA...". Leave it out at registration to read it from the '
        "server; afterwards it changes only through rescan-host-key.",
    )
    host_key_fingerprint = serializers.SerializerMethodField()
    host_key_confirmed_by = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Server
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "address",
            "ssh_port",
            "ssh_user",
            "service_address",
            "public_ipv4",
            "public_ipv6",
            "roles",
            "host_key",
            "host_key_fingerprint",
            "host_key_confirmed_at",
            "host_key_confirmed_by",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["host_key_confirmed_at", "created_at", "updated_at"]
        # Field rules shared with the services; the name's uniqueness is checked by the service.
        extra_kwargs: ClassVar[dict[str, dict[str, Any]]] = {
            field: {"validators": [validator]}
            for field, validator in SERVER_FIELD_VALIDATORS.items()
            if field != "roles"
        }

    def get_host_key_fingerprint(self, server: Server) -> str | None:
        try:
            return fingerprint(server.host_key) if server.host_key else None
        except DjangoValidationError:
            return None

    def validate_host_key(self, value: str) -> str:
        value = normalize_host_key(value)
        if value:
            validate_host_key(value)
        return value


class ConfirmHostKeySerializer(serializers.Serializer):  # type: ignore[type-arg]
    fingerprint = serializers.CharField(
        max_length=100, help_text="The SHA256:... fingerprint you compared with the server's own."
    )


class RescanResultSerializer(ServerSerializer):
    host_key_changed = serializers.BooleanField(read_only=True)

    class Meta(ServerSerializer.Meta):
        fields: ClassVar[list[str]] = [*ServerSerializer.Meta.fields, "host_key_changed"]


class PlacementSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    server = PrimaryKeyRelatedField(queryset=Server.objects.all())
    account = PrimaryKeyRelatedField(
        queryset=Account.objects.filter(deleted_at__isnull=True),
        required=False,
        allow_null=True,
        help_text="Leave it out for the role's default server.",
    )
    server_name = serializers.CharField(source="server.name", read_only=True)

    class Meta:
        model = Placement
        fields: ClassVar[list[str]] = ["id", "role", "server", "server_name", "account"]
        # Setting a placement replaces the existing one for (role, account): no uniqueness check here.
        validators: ClassVar[list[Any]] = []
