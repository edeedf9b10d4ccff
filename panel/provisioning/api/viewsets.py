"""Base viewset for objects that live on servers: every write answers with the change set to poll."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from panel.core.api.viewsets import ServiceModelViewSet, request_actor
from panel.provisioning.models import ChangeSet


class ProvisionedViewSet(ServiceModelViewSet):
    """Services of provisioned objects return (object, change set) from create/update and the change set from
    delete. Responses carry `change_set` (its id); clients poll /api/changesets/<id>/ or the object's
    `apply_state` until `applied` or `failed`. A delete answers 202: the object goes once servers dropped it."""

    _change_set: ChangeSet | None = None

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        assert self.create_service is not None
        serializer.instance, self._change_set = self.create_service(  # type: ignore[misc]
            actor=request_actor(self.request), **serializer.validated_data
        )

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        assert self.update_service is not None
        serializer.instance, self._change_set = self.update_service(  # type: ignore[misc]
            actor=request_actor(self.request),
            **{self.instance_kwarg: serializer.instance},
            **serializer.validated_data,
        )

    def _with_change_set(self, response: Response) -> Response:
        if self._change_set is not None and isinstance(response.data, dict):
            response.data["change_set"] = self._change_set.pk
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._with_change_set(super().create(request, *args, **kwargs))

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._with_change_set(super().update(request, *args, **kwargs))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assert self.delete_service is not None
        instance: Model = self.get_object()
        change_set = self.delete_service(actor=request_actor(request), **{self.instance_kwarg: instance})
        return Response(
            {"change_set": change_set.pk, "apply_state": "pending", "pending_delete": True},
            status=status.HTTP_202_ACCEPTED,
        )
