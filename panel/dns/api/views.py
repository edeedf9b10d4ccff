from __future__ import annotations

from typing import ClassVar

from panel.dns.api.serializers import RecordSerializer, ZoneSerializer
from panel.dns.selectors import record_list, zone_list
from panel.dns.services import record_create, record_delete, record_update, zone_create, zone_delete, zone_update
from panel.provisioning.api.viewsets import ProvisionedViewSet


class ZoneViewSet(ProvisionedViewSet):
    """DNS zones of the caller's account (staff: all). Writes answer with the change set to poll."""

    serializer_class = ZoneSerializer
    selector = staticmethod(zone_list)
    create_service = staticmethod(zone_create)
    update_service = staticmethod(zone_update)
    delete_service = staticmethod(zone_delete)
    instance_kwarg = "zone"
    filterset_fields: ClassVar[list[str]] = ["account", "apply_state", "pending_delete"]
    search_fields: ClassVar[list[str]] = ["name"]
    ordering_fields: ClassVar[list[str]] = ["name", "created_at"]


class RecordViewSet(ProvisionedViewSet):
    """Records of the caller's zones. Names are relative to the zone (`@` is the apex)."""

    serializer_class = RecordSerializer
    selector = staticmethod(record_list)
    create_service = staticmethod(record_create)
    update_service = staticmethod(record_update)
    delete_service = staticmethod(record_delete)
    instance_kwarg = "record"
    filterset_fields: ClassVar[list[str]] = ["zone", "name", "type", "apply_state", "pending_delete"]
    search_fields: ClassVar[list[str]] = ["name", "value"]
    ordering_fields: ClassVar[list[str]] = ["name", "type", "created_at"]
