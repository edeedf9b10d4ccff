from __future__ import annotations

from typing import ClassVar

from panel.core.api.viewsets import SelectorReadOnlyViewSet
from panel.orders.api.serializers import OrderSerializer
from panel.orders.selectors import order_list


class OrderViewSet(SelectorReadOnlyViewSet):
    """Orders of the caller's account (staff: all), read-only: they follow the objects they bill."""

    serializer_class = OrderSerializer
    selector = staticmethod(order_list)
    filterset_fields: ClassVar[list[str]] = ["account", "service"]
    search_fields: ClassVar[list[str]] = ["description"]
    ordering_fields: ClassVar[list[str]] = ["registered_on", "billed_until", "created_at"]
