"""Output shapes of the orders API (read-only: orders follow the objects they bill)."""

from __future__ import annotations

from typing import ClassVar

from rest_framework import serializers

from panel.orders.models import Order


class OrderSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    service = serializers.CharField(source="service.description", read_only=True)
    content_type = serializers.CharField(source="content_type.model", read_only=True)

    class Meta:
        model = Order
        fields: ClassVar[list[str]] = [
            "id",
            "account",
            "service",
            "content_type",
            "object_id",
            "description",
            "registered_on",
            "cancelled_on",
            "billed_on",
            "billed_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = fields
