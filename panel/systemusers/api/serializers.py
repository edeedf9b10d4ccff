"""Input shapes of the system users API. Rules live in the services and validators; a password is accepted,
never returned, and keys are returned only as the panel re-rendered them."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from panel.accounts.api.serializers import AccountOwnedSerializer
from panel.core.api.fields import PrimaryKeyRelatedField
from panel.mail.api.serializers import APPLY_FIELDS, SUSPENDED_HELP
from panel.systemusers.choices import Access
from panel.systemusers.models import SshKey, SystemUser
from panel.systemusers.selectors import system_user_list
from panel.systemusers.services import KEYS_PER_USER
from panel.systemusers.validators import KEY_MAX_LENGTH

_KEY_HELP = "An OpenSSH public key line (ed25519, ECDSA, or RSA of at least 3072 bits), without options."


class SshKeySummarySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = SshKey
        fields: ClassVar[list[str]] = ["id", "type", "bits", "fingerprint", "comment", "apply_state", "pending_delete"]
        read_only_fields = fields


class SystemUserSerializer(AccountOwnedSerializer):
    suspended = serializers.BooleanField(read_only=True, help_text=SUSPENDED_HELP)
    server = serializers.SlugRelatedField(slug_field="name", read_only=True)  # type: ignore[var-annotated]
    access = serializers.ChoiceField(choices=Access.choices, required=False)
    scope = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=200)
    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Only on creation; change or remove it with set-password. Never returned.",
    )
    keys = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False, max_length=KEY_MAX_LENGTH),
        write_only=True,
        required=False,
        max_length=KEYS_PER_USER,
        help_text=f"Only on creation; then add and revoke them at /api/systemusers/keys/. {_KEY_HELP}",
    )
    ssh_keys = SshKeySummarySerializer(source="keys", many=True, read_only=True)
    has_password = serializers.BooleanField(read_only=True)

    class Meta:
        model = SystemUser
        fields: ClassVar[list[str]] = [
            "id",
            "account",
            "name",
            "server",
            "is_main",
            "access",
            "scope",
            "is_active",
            "password",
            "has_password",
            "keys",
            "ssh_keys",
            *APPLY_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = [*APPLY_FIELDS, "is_main"]
        extra_kwargs: ClassVar[dict[str, Any]] = {"name": {"validators": []}}  # taken: 409 from the service
        validators: ClassVar[list[Any]] = []  # the one account user per account is the service's

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            for field, where in (("password", "POST .../set-password/"), ("keys", "/api/systemusers/keys/")):
                if field in attrs:
                    raise serializers.ValidationError({field: f"Change it with {where}."})
        return super().validate(attrs)


class SystemUserPasswordSerializer(serializers.Serializer):  # type: ignore[type-arg]
    password = serializers.CharField(
        write_only=True,
        allow_null=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The new password, or null to remove it (the user then logs in with keys only).",
    )


class SshKeySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    suspended = serializers.BooleanField(read_only=True, help_text=SUSPENDED_HELP)
    system_user = PrimaryKeyRelatedField(queryset=SystemUser.objects.none())
    key = serializers.CharField(write_only=True, trim_whitespace=False, max_length=KEY_MAX_LENGTH, help_text=_KEY_HELP)
    line = serializers.CharField(read_only=True, help_text="The authorized_keys line the servers get.")

    class Meta:
        model = SshKey
        fields: ClassVar[list[str]] = [
            "id",
            "system_user",
            "key",
            "type",
            "bits",
            "fingerprint",
            "comment",
            "line",
            *APPLY_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = [*APPLY_FIELDS, "type", "bits", "fingerprint", "comment"]
        validators: ClassVar[list[Any]] = []  # a key twice: 409 from the service

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["system_user"].queryset = system_user_list(actor=request.user)  # type: ignore[attr-defined]
