"""Shapes of the name-proof API. Rules live in panel.names.services."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from panel.accounts.api.serializers import AccountOwnedSerializer
from panel.names.models import NameProof


class TxtRecordSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(help_text="The record's owner name, in the name's own zone (wherever it is hosted).")
    type = serializers.CharField(help_text="Always TXT.")
    value = serializers.CharField(help_text="The token.")


class HttpTokenSerializer(serializers.Serializer):  # type: ignore[type-arg]
    url = serializers.CharField(help_text="Serve the body below at this URL (HTTP, port 80, no redirect).")
    body = serializers.CharField(help_text="The token, alone.")


class NameProofSerializer(AccountOwnedSerializer):
    proven = serializers.BooleanField(read_only=True)
    txt_record = serializers.SerializerMethodField(help_text="Publish this record to prove the name (any object).")
    http_token = serializers.SerializerMethodField(help_text="Or serve this token (proves it for websites only).")

    class Meta:
        model = NameProof
        fields: ClassVar[list[str]] = [
            "id",
            "account",
            "name",
            "proven",
            "proven_at",
            "proven_by",
            "checked_at",
            "check_error",
            "txt_record",
            "http_token",
            "created_at",
        ]
        read_only_fields: ClassVar[list[str]] = [
            "proven_at",
            "proven_by",
            "checked_at",
            "check_error",
            "created_at",
        ]
        extra_kwargs: ClassVar[dict[str, Any]] = {"name": {"validators": [], "max_length": 300}}
        validators: ClassVar[list[Any]] = []

    @extend_schema_field(TxtRecordSerializer)
    def get_txt_record(self, proof: NameProof) -> dict[str, str]:
        return {"name": proof.txt_name, "type": "TXT", "value": proof.token}

    @extend_schema_field(HttpTokenSerializer)
    def get_http_token(self, proof: NameProof) -> dict[str, str]:
        return {"url": f"http://{proof.name}{proof.http_path}", "body": proof.token}


class NameProofCheckedSerializer(NameProofSerializer):
    change_sets = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text="The runs that take the waiting objects live."
    )

    class Meta(NameProofSerializer.Meta):
        fields: ClassVar[list[str]] = [*NameProofSerializer.Meta.fields, "change_sets"]
