"""Base viewset for objects that live on servers: every write answers with the change set to poll."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from panel.core.api.schema import AutoSchema
from panel.core.api.viewsets import ServiceModelViewSet, request_actor
from panel.provisioning.models import ChangeSet

_CHANGE_SET_HELP = "The change set to poll at /api/changesets/{id}/ until it is applied or failed."


class ChangeSetRefSerializer(serializers.Serializer):  # type: ignore[type-arg]
    change_set = serializers.IntegerField(help_text=_CHANGE_SET_HELP)


class DeletionAcceptedSerializer(ChangeSetRefSerializer):
    """A delete is accepted, not done: the object stays, pending_delete, until every server dropped it."""

    apply_state = serializers.CharField(help_text="Always `pending`.")
    pending_delete = serializers.BooleanField(help_text="Always true.")


_WRITTEN: dict[type[Any], type[Any]] = {}


def with_change_set(serializer_class: type[Any]) -> type[Any]:
    """The serializer plus the `change_set` every write answers with (for the schema; the view adds the value)."""
    if serializer_class not in _WRITTEN:
        name = serializer_class.__name__.removesuffix("Serializer")
        meta = type("Meta", (serializer_class.Meta,), {"fields": [*serializer_class.Meta.fields, "change_set"]})
        field = serializers.IntegerField(
            read_only=True,
            allow_null=True,
            help_text=f"{_CHANGE_SET_HELP} Null when nothing goes to a server yet (a name waiting for its proof).",
        )
        _WRITTEN[serializer_class] = type(
            f"{name}WrittenSerializer", (serializer_class,), {"Meta": meta, "change_set": field}
        )
    return _WRITTEN[serializer_class]


class ProvisionedAutoSchema(AutoSchema):
    def get_response_serializers(self) -> Any:
        serializer = super().get_response_serializers()
        if getattr(self.view, "action", None) in {"create", "update", "partial_update"} and serializer is not None:
            return with_change_set(serializer if isinstance(serializer, type) else type(serializer))
        return serializer


class ProvisionedViewSet(ServiceModelViewSet):
    """Services of provisioned objects return (object, change set) from create/update and the change set from
    delete. Responses carry `change_set` (its id); clients poll /api/changesets/<id>/ or the object's
    `apply_state` until `applied` or `failed`. A delete answers 202: the object goes once servers dropped it."""

    _change_set: ChangeSet | None = None
    schema = ProvisionedAutoSchema()

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
        if isinstance(response.data, dict) and response.status_code < 300:
            response.data["change_set"] = self._change_set.pk if self._change_set is not None else None
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._with_change_set(super().create(request, *args, **kwargs))

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._with_change_set(super().update(request, *args, **kwargs))

    def set_password_with(self, request: Request, service: Any, serializer_class: type[Any]) -> Response:
        """The body of a `set-password` action: the password checked by `serializer_class`, set by `service` on
        this object; answers 202 with the change set."""
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        _, change_set = service(
            **{self.instance_kwarg: self.get_object()},
            actor=request_actor(request),
            password=serializer.validated_data["password"],
        )
        return Response({"change_set": change_set.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={202: DeletionAcceptedSerializer})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assert self.delete_service is not None
        instance: Model = self.get_object()
        change_set = self.delete_service(actor=request_actor(request), **{self.instance_kwarg: instance})
        return Response(
            {"change_set": change_set.pk, "apply_state": "pending", "pending_delete": True},
            status=status.HTTP_202_ACCEPTED,
        )
