"""Input shapes of the DNS API. Names and values are validated and normalised by the services (the same
rules for the API, the admin and the portal); these serializers describe fields and their limits."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from panel.accounts.models import Account
from panel.accounts.selectors import account_list
from panel.core.models import is_staff_user
from panel.dns.choices import RecordType
from panel.dns.models import Record, Zone
from panel.dns.selectors import zone_list

APPLY_FIELDS = ["apply_state", "apply_error", "applied_at", "pending_delete"]


class ZoneSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.none(), required=False)
    primary = serializers.SlugRelatedField(slug_field="name", read_only=True)  # type: ignore[var-annotated]
    record_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Zone
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "account",
            "primary",
            "serial",
            "ttl",
            "soa_mname",
            "soa_rname",
            "soa_refresh",
            "soa_retry",
            "soa_expire",
            "soa_minimum",
            "record_count",
            *APPLY_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["serial", "soa_mname", "soa_rname", *APPLY_FIELDS]
        extra_kwargs: ClassVar[dict[str, Any]] = {"name": {"validators": []}}  # uniqueness: 409 from the service

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["account"].queryset = account_list(actor=request.user)  # type: ignore[attr-defined]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context.get("request")
        if self.instance is not None:
            if "name" in attrs and attrs["name"] != self.instance.name:
                raise serializers.ValidationError({"name": "A zone cannot be renamed; create the new one."})
            if "account" in attrs and attrs["account"] != self.instance.account:
                raise serializers.ValidationError({"account": "A zone cannot move to another account."})
            attrs.pop("name", None)
            attrs.pop("account", None)
        elif "account" not in attrs and request is not None:
            if is_staff_user(request.user):
                raise serializers.ValidationError({"account": "Staff must say which account the zone is for."})
            attrs["account"] = request.user.account
        return attrs


class RecordSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    zone = serializers.PrimaryKeyRelatedField(queryset=Zone.objects.none())
    type = serializers.ChoiceField(choices=RecordType.choices)
    name = serializers.CharField(max_length=253, default="@", allow_blank=True, trim_whitespace=False)
    value = serializers.CharField(max_length=4000, trim_whitespace=False)
    ttl = serializers.IntegerField(min_value=60, max_value=604800, required=False, allow_null=True)

    class Meta:
        model = Record
        fields: ClassVar[list[str]] = [
            "id",
            "zone",
            "name",
            "type",
            "ttl",
            "value",
            *APPLY_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = APPLY_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["zone"].queryset = zone_list(actor=request.user)  # type: ignore[attr-defined]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "zone" in attrs:
            if attrs["zone"] != self.instance.zone:
                raise serializers.ValidationError({"zone": "A record cannot move to another zone."})
            attrs.pop("zone")
        return attrs
