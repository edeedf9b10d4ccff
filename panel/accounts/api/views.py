"""Accounts API: accounts (staff), contacts (tenant-scoped), the caller's identity and API tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from panel.accounts.api.serializers import (
    AccountDeletedSerializer,
    AccountSerializer,
    AccountStateSerializer,
    AccountUserSerializer,
    ApiTokenSerializer,
    ContactSerializer,
    MeSerializer,
    NewApiTokenSerializer,
    ObtainTokenSerializer,
)
from panel.accounts.models import Account, ApiToken
from panel.accounts.selectors import account_list, contact_list, token_list
from panel.accounts.services import (
    account_create,
    account_delete,
    account_disable,
    account_enable,
    account_update,
    contact_create,
    contact_delete,
    contact_update,
    token_create,
    token_revoke,
    user_create,
)
from panel.core.api.permissions import IsStaff
from panel.core.api.viewsets import ServiceModelViewSet, request_actor
from panel.core.errors import ValidationFailed


class AccountViewSet(ServiceModelViewSet):
    """Customer accounts. Staff only; customers see their own account at /api/me/."""

    permission_classes: ClassVar[list[type]] = [IsStaff]  # type: ignore[misc]
    serializer_class = AccountSerializer
    create_service = staticmethod(account_create)
    update_service = staticmethod(account_update)
    instance_kwarg = "account"
    filterset_fields: ClassVar[list[str]] = ["type", "is_active", "language"]
    search_fields: ClassVar[list[str]] = ["handle", "name", "contacts__email"]
    ordering_fields: ClassVar[list[str]] = ["handle", "name", "created_at"]

    def get_queryset(self) -> QuerySet[Account]:
        include_deleted = self.request.query_params.get("include_deleted") in {"1", "true", "yes"}
        return account_list(actor=self.request.user, include_deleted=include_deleted)

    @extend_schema(
        responses={
            202: OpenApiResponse(
                AccountDeletedSerializer,
                description="Deleted, or kept as soft-deleted (with reasons) and disabled; either way taken off its "
                "servers by the change sets listed",
            ),
        }
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        reasons, change_sets = account_delete(account=self.get_object(), actor=request_actor(request))
        body = {
            "status": "soft_deleted" if reasons else "deleted",
            "reasons": reasons,
            "change_sets": sorted({change_set.pk for change_set in change_sets}),
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=AccountStateSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str | None = None) -> Response:
        """Suspend every object of the account on its servers; customers get 409 on changes until enabled."""
        account, change_sets = account_disable(account=self.get_object(), actor=request_actor(request))
        return Response(AccountStateSerializer(account, context={"change_sets": change_sets}).data)

    @extend_schema(request=None, responses=AccountStateSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        """Restore everything disabling suspended."""
        account, change_sets = account_enable(account=self.get_object(), actor=request_actor(request))
        return Response(AccountStateSerializer(account, context={"change_sets": change_sets}).data)

    @extend_schema(request=AccountUserSerializer, responses={201: AccountUserSerializer})
    @action(detail=True, methods=["post"], serializer_class=AccountUserSerializer)
    def users(self, request: Request, pk: str | None = None) -> Response:
        """Create a customer login for this account."""
        serializer = AccountUserSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_create(account=self.get_object(), actor=request_actor(request), **serializer.validated_data)
        return Response(AccountUserSerializer(user).data, status=status.HTTP_201_CREATED)


class ContactViewSet(ServiceModelViewSet):
    """Contacts of the caller's account (staff: of every account)."""

    serializer_class = ContactSerializer
    selector = staticmethod(contact_list)
    create_service = staticmethod(contact_create)
    update_service = staticmethod(contact_update)
    delete_service = staticmethod(contact_delete)
    instance_kwarg = "contact"
    filterset_fields: ClassVar[list[str]] = ["account", "is_billing", "is_technical", "is_emergency"]
    search_fields: ClassVar[list[str]] = ["name", "email", "account__handle"]
    ordering_fields: ClassVar[list[str]] = ["name", "email", "created_at"]


class MeView(APIView):
    """Who the caller is: user, role and account."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The caller's own API tokens. Creating one shows its key once; deleting one revokes it."""

    serializer_class = ApiTokenSerializer
    permission_classes: ClassVar[list[type]] = [IsAuthenticated]  # type: ignore[misc]
    filterset_fields: ClassVar[list[str]] = []
    search_fields: ClassVar[list[str]] = ["name"]

    def get_queryset(self) -> QuerySet[ApiToken]:
        return token_list(actor=self.request.user)

    @extend_schema(responses={201: NewApiTokenSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = token_create(
            user=request_actor(request), name=serializer.validated_data["name"], actor=request_actor(request)
        )
        data = {**ApiTokenSerializer(token).data, "key": key}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token_revoke(token=self.get_object(), actor=request_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ObtainTokenView(APIView):
    """Exchange a username and password for a new API token (for scripts and the CLI)."""

    permission_classes: ClassVar[list[type]] = [AllowAny]  # type: ignore[misc]
    authentication_classes: ClassVar[list[type]] = []  # type: ignore[misc]
    throttle_classes: ClassVar[list[type]] = [ScopedRateThrottle]  # type: ignore[misc]
    throttle_scope = "token_obtain"

    @extend_schema(request=ObtainTokenSerializer, responses={201: NewApiTokenSerializer})
    def post(self, request: Request) -> Response:
        serializer = ObtainTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None:
            raise ValidationFailed("Invalid username or password.", code="invalid_credentials")
        token, key = token_create(user=user, name=data["name"], actor=user)  # type: ignore[arg-type]
        return Response({**ApiTokenSerializer(token).data, "key": key}, status=status.HTTP_201_CREATED)
