"""Servers API, staff only: managed servers, their pinned host keys, and where services are placed."""

from __future__ import annotations

from typing import ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from panel.core.api.permissions import IsStaff
from panel.core.api.viewsets import ServiceModelViewSet, request_actor
from panel.servers.api.serializers import (
    ConfirmHostKeySerializer,
    PlacementSerializer,
    RescanResultSerializer,
    ServerSerializer,
)
from panel.servers.selectors import placement_list, server_list
from panel.servers.services import (
    placement_delete,
    placement_set,
    server_confirm_host_key,
    server_register,
    server_rescan_host_key,
    server_update,
)


class ServerViewSet(ServiceModelViewSet):
    """Managed servers. Never deleted (runs and history point at them): set is_active to false instead."""

    permission_classes: ClassVar[list[type]] = [IsStaff]  # type: ignore[misc]
    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "head", "options"]  # type: ignore[misc]
    serializer_class = ServerSerializer
    selector = staticmethod(server_list)
    create_service = staticmethod(server_register)
    update_service = staticmethod(server_update)
    instance_kwarg = "server"
    filterset_fields: ClassVar[list[str]] = ["is_active", "ssh_user"]
    search_fields: ClassVar[list[str]] = ["name", "address"]
    ordering_fields: ClassVar[list[str]] = ["name", "address", "created_at"]

    @extend_schema(request=ConfirmHostKeySerializer, responses=ServerSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-host-key", serializer_class=ConfirmHostKeySerializer)
    def confirm_host_key(self, request: Request, pk: str | None = None) -> Response:
        """Trust the pinned host key after comparing its fingerprint with the server's own."""
        serializer = ConfirmHostKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        server = server_confirm_host_key(
            server=self.get_object(), fingerprint=serializer.validated_data["fingerprint"], actor=request_actor(request)
        )
        return Response(ServerSerializer(server).data)

    @extend_schema(request=None, responses=RescanResultSerializer)
    @action(detail=True, methods=["post"], url_path="rescan-host-key")
    def rescan_host_key(self, request: Request, pk: str | None = None) -> Response:
        """Read the host key again; a changed key is pinned unconfirmed and must be confirmed again."""
        server = self.get_object()
        previous = server.host_key
        server = server_rescan_host_key(server=server, actor=request_actor(request))
        return Response({**ServerSerializer(server).data, "host_key_changed": server.host_key != previous})


class PlacementViewSet(ServiceModelViewSet):
    """Which server plays a role, by default or for one account. Creating one for an existing (role, account)
    moves it to the new server."""

    permission_classes: ClassVar[list[type]] = [IsStaff]  # type: ignore[misc]
    http_method_names: ClassVar[list[str]] = ["get", "post", "delete", "head", "options"]  # type: ignore[misc]
    serializer_class = PlacementSerializer
    selector = staticmethod(placement_list)
    create_service = staticmethod(placement_set)
    delete_service = staticmethod(placement_delete)
    instance_kwarg = "placement"
    filterset_fields: ClassVar[list[str]] = ["role", "server", "account"]
    ordering_fields: ClassVar[list[str]] = ["role"]
