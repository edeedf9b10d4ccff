"""Input shapes of the DNS API. Names and values are validated and normalised by the services (the same
rules for the API, the admin and the portal); these serializers describe fields and their limits."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from panel.accounts.api.serializers import AccountOwnedSerializer, allow_foreign_name_field
from panel.core.api.fields import PrimaryKeyRelatedField
from panel.dns.choices import RecordType
from panel.dns.models import Record, Zone
from panel.dns.selectors import zone_list
from panel.dns.services import SOA_BOUNDS

APPLY_FIELDS = ["apply_state", "apply_error", "applied_at", "pending_delete", "suspended"]
SUSPENDED_HELP = "The account is disabled: this object is suspended on its servers until the account is enabled."


class ZoneSerializer(AccountOwnedSerializer):
    suspended = serializers.BooleanField(read_only=True, help_text=SUSPENDED_HELP)
    primary = serializers.SlugRelatedField(slug_field="name", read_only=True)  # type: ignore[var-annotated]
    record_count = serializers.SerializerMethodField(help_text="Records not being deleted.")
    allow_foreign_name = allow_foreign_name_field()

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
            "allow_foreign_name",
            *APPLY_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["serial", "soa_mname", "soa_rname", *APPLY_FIELDS]
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "name": {"validators": []},  # uniqueness: 409 from the service
            # The service checks these too; here they reach the schema.
            **{field: {"min_value": low, "max_value": high} for field, (low, high) in SOA_BOUNDS.items()},
        }

    def get_record_count(self, zone: Zone) -> int:
        # Lists annotate it (zone_list); a zone fresh from a write has no annotation and is counted here.
        count = getattr(zone, "record_count", None)
        return count if count is not None else zone.records.filter(pending_delete=False).count()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # An unchanged name is dropped too: the service takes no name on update.
        if self.instance is not None and "name" in attrs and attrs.pop("name") != self.instance.name:
            raise serializers.ValidationError({"name": "A zone cannot be renamed; create the new one."})
        return super().validate(attrs)


class RecordSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    suspended = serializers.BooleanField(read_only=True, help_text=SUSPENDED_HELP)
    zone = PrimaryKeyRelatedField(queryset=Zone.objects.none())
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
