"""Websites API: an account's sites with their domains. Writes answer with the change set to poll."""

from __future__ import annotations

from typing import ClassVar

from panel.provisioning.api.viewsets import ProvisionedViewSet
from panel.web import services
from panel.web.api.serializers import WebsiteSerializer
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
