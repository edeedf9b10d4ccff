"""Websites API: an account's sites with their domains. Writes answer with the change set to poll."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from panel.core.api.viewsets import request_actor
from panel.core.errors import NotFound
from panel.provisioning.api.viewsets import ProvisionedViewSet, with_change_set
from panel.web import services
from panel.web.api.serializers import CertificateSerializer, WebsiteSerializer
from panel.web.models import Certificate
from panel.web.selectors import website_list


class WebsiteViewSet(ProvisionedViewSet):
    """Websites: static or PHP (PHP-FPM as the account's own user), each on its own domains."""

    serializer_class = WebsiteSerializer
    selector = staticmethod(website_list)
    create_service = staticmethod(services.website_create)
    update_service = staticmethod(services.website_update)
    delete_service = staticmethod(services.website_delete)
    instance_kwarg = "website"
    filterset_fields: ClassVar[list[str]] = ["account", "php", "is_enabled", "apply_state"]
    search_fields: ClassVar[list[str]] = ["name", "domains__name"]

    @extend_schema(methods=["GET"], responses={200: CertificateSerializer})
    @extend_schema(
        methods=["PUT"], request=CertificateSerializer, responses={200: with_change_set(CertificateSerializer)}
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["get", "put", "delete"], serializer_class=CertificateSerializer)
    def certificate(self, request: Request, pk: str | None = None) -> Response:
        """The site's uploaded certificate: PUT the PEM certificate, chain and key (checked: parses, the key matches,
        it covers every domain of the site, valid now, chain in order); the key is stored encrypted and never
        shown. DELETE is refused while the site serves HTTPS."""
        site = self.get_object()
        if request.method == "PUT":
            serializer = CertificateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            uploaded, change_set = services.website_certificate_set(
                website=site, actor=request_actor(request), **serializer.validated_data
            )
            data = {**CertificateSerializer(uploaded).data, "change_set": change_set.pk if change_set else None}
            return Response(data)
        if request.method == "DELETE":
            services.website_certificate_delete(website=site, actor=request_actor(request))
            return Response(status=status.HTTP_204_NO_CONTENT)
        stored: Any = Certificate.objects.filter(website=site).first()
        if stored is None:
            raise NotFound("This site has no certificate.")
        return Response(CertificateSerializer(stored).data)
