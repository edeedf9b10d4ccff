"""Base viewset: reads go through a selector scoped to the requesting user, writes through services.

Subclasses stay declarative: they name a serializer, a selector and the service functions, e.g.

    class ContactViewSet(ServiceModelViewSet):
        serializer_class = ContactSerializer
        selector = staticmethod(contact_list)
        create_service = staticmethod(contact_create)
        update_service = staticmethod(contact_update)
        delete_service = staticmethod(contact_delete)
        instance_kwarg = "contact"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.db.models import Model, QuerySet
from rest_framework import mixins, viewsets
from rest_framework.serializers import BaseSerializer

from panel.core.api.permissions import IsTenantMember

if TYPE_CHECKING:
    from rest_framework.request import Request

    from panel.accounts.models import User


def request_actor(request: Request) -> User:
    """The authenticated user behind a request, as services want it. Permission classes ran already."""
    if not request.user.is_authenticated:
        raise AssertionError("request_actor() needs an authenticated request")
    return cast("User", request.user)


class SelectorReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """List and retrieve through a selector scoped to the caller; for objects the API never writes directly
    (extra actions may still call services)."""

    permission_classes: ClassVar[list[type]] = [IsTenantMember]  # type: ignore[misc]
    selector: Callable[..., QuerySet[Any]]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI generator inspects views without a user
            return type(self).serializer_class.Meta.model.objects.none()  # type: ignore[attr-defined, no-any-return, union-attr]
        return self.selector(actor=request_actor(self.request))


class ServiceModelViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    permission_classes: ClassVar[list[type]] = [IsTenantMember]  # type: ignore[misc]
    selector: Callable[..., QuerySet[Any]]
    create_service: Callable[..., Any] | None = None
    update_service: Callable[..., Any] | None = None
    delete_service: Callable[..., Any] | None = None
    instance_kwarg: str = "instance"

    get_queryset = SelectorReadOnlyViewSet.get_queryset

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        assert self.create_service is not None
        serializer.instance = self.create_service(actor=request_actor(self.request), **serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        assert self.update_service is not None
        serializer.instance = self.update_service(
            actor=request_actor(self.request), **{self.instance_kwarg: serializer.instance}, **serializer.validated_data
        )

    def perform_destroy(self, instance: Model) -> None:
        assert self.delete_service is not None
        self.delete_service(actor=request_actor(self.request), **{self.instance_kwarg: instance})
