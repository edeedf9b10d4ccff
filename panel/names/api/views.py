"""Name proofs API: the challenge for a name outside every zone hosted here, and "check now"."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import ScopedRateThrottle

from panel.core.api.permissions import IsTenantMember
from panel.core.api.viewsets import SelectorReadOnlyViewSet, request_actor
from panel.names import services
from panel.names.api.serializers import NameProofCheckedSerializer, NameProofSerializer
from panel.names.selectors import name_proof_list


class NameProofViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, SelectorReadOnlyViewSet):
    """A website or mail domain whose name no zone here holds waits (`apply_state` `unproven`) until its account
    proves the name: publish `txt_record` (or, for websites, serve `http_token`), then `check`. Creating a proof
    first is optional: a website or mail domain for such a name creates it."""

    permission_classes: ClassVar[list[type]] = [IsTenantMember]  # type: ignore[misc]
    serializer_class = NameProofSerializer
    selector = staticmethod(name_proof_list)
    filterset_fields: ClassVar[list[str]] = ["account", "name"]
    search_fields: ClassVar[list[str]] = ["name"]
    throttle_scope = "name_check"  # only `check` has the scoped throttle

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.name_proof_create(
            actor=request_actor(self.request),
            account=serializer.validated_data["account"],
            name=serializer.validated_data["name"],
        )

    def perform_destroy(self, instance: Any) -> None:
        services.name_proof_delete(proof=instance, actor=request_actor(self.request))

    @extend_schema(request=None, responses={200: NameProofCheckedSerializer})
    @action(
        detail=True,
        methods=["post"],
        serializer_class=NameProofCheckedSerializer,
        throttle_classes=[ScopedRateThrottle],
    )
    def check(self, request: Request, pk: str | None = None) -> Response:
        """Check the proof now (`BATON_NAME_CHECK_RATE` checks a minute per user, 30 by default; then 429); when it
        holds, the account's objects waiting for the name go to their servers."""
        proof, change_sets = services.name_proof_check(proof=self.get_object(), actor=request_actor(request))
        data = NameProofSerializer(proof, context=self.get_serializer_context()).data
        return Response({**data, "change_sets": [c.pk for c in change_sets]}, status=status.HTTP_200_OK)
