"""Mail API: domains, mailboxes (with set-password), addresses and autoresponses. Writes answer with the
change set to poll, like every provisioned object."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from panel.core.api.viewsets import request_actor
from panel.mail import services
from panel.mail.api.serializers import (
    AddressSerializer,
    AutoresponseSerializer,
    MailboxBulkCreatedSerializer,
    MailboxBulkSerializer,
    MailboxSerializer,
    MailDomainSerializer,
    PasswordSerializer,
)
from panel.mail.models import Autoresponse
from panel.mail.selectors import address_list, autoresponse_list, mail_domain_list, mailbox_list
from panel.provisioning.api.viewsets import ChangeSetRefSerializer, ProvisionedViewSet


class MailDomainViewSet(ProvisionedViewSet):
    """Domains this panel receives mail for. MX and SPF records follow in a zone hosted here."""

    http_method_names: ClassVar[list[str]] = ["get", "post", "delete", "head", "options"]  # type: ignore[misc]
    serializer_class = MailDomainSerializer
    selector = staticmethod(mail_domain_list)
    create_service = staticmethod(services.mail_domain_create)
    delete_service = staticmethod(services.mail_domain_delete)
    instance_kwarg = "domain"
    filterset_fields: ClassVar[list[str]] = ["account", "apply_state"]
    search_fields: ClassVar[list[str]] = ["name"]


class MailboxViewSet(ProvisionedViewSet):
    """Mailboxes: the IMAP and submission logins. The password is set on creation or with set-password."""

    serializer_class = MailboxSerializer
    selector = staticmethod(mailbox_list)
    create_service = staticmethod(services.mailbox_create)
    update_service = staticmethod(services.mailbox_update)
    delete_service = staticmethod(services.mailbox_delete)
    instance_kwarg = "mailbox"
    filterset_fields: ClassVar[list[str]] = ["account", "is_active", "apply_state"]
    search_fields: ClassVar[list[str]] = ["name"]

    @extend_schema(request=MailboxBulkSerializer, responses={201: MailboxBulkCreatedSerializer})
    @action(detail=False, methods=["post"], serializer_class=MailboxBulkSerializer)
    def bulk(self, request: Request) -> Response:
        """Create up to 1,000 mailboxes at once (an import): all or none, one change set, one run. An error names
        its entry (`mailboxes.3.name`)."""
        serializer = MailboxBulkSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        created, change_set = services.mailbox_create_many(
            account=serializer.validated_data["account"],
            mailboxes=serializer.validated_data["mailboxes"],
            actor=request_actor(request),
        )
        mailboxes = MailboxSerializer(created, many=True, context=self.get_serializer_context()).data
        return Response({"mailboxes": mailboxes, "change_set": change_set.pk}, status=status.HTTP_201_CREATED)

    @extend_schema(request=PasswordSerializer, responses={202: ChangeSetRefSerializer})
    @action(detail=True, methods=["post"], url_path="set-password", serializer_class=PasswordSerializer)
    def set_password(self, request: Request, pk: str | None = None) -> Response:
        return self.set_password_with(request, services.mailbox_set_password, PasswordSerializer)


class AddressViewSet(ProvisionedViewSet):
    """Addresses (an empty local part is the catch-all), delivering to mailboxes and/or forwards."""

    serializer_class = AddressSerializer
    selector = staticmethod(address_list)
    create_service = staticmethod(services.address_create)
    update_service = staticmethod(services.address_update)
    delete_service = staticmethod(services.address_delete)
    instance_kwarg = "address"
    filterset_fields: ClassVar[list[str]] = ["domain", "apply_state"]
    search_fields: ClassVar[list[str]] = ["local_part", "domain__name"]


class AutoresponseViewSet(ProvisionedViewSet):
    """Vacation replies, one per mailbox."""

    serializer_class = AutoresponseSerializer
    selector = staticmethod(autoresponse_list)
    create_service = staticmethod(services.autoresponse_set)
    filterset_fields: ClassVar[list[str]] = ["mailbox"]

    def perform_update(self, serializer: Any) -> None:
        data = {
            "mailbox": serializer.instance.mailbox,
            "subject": serializer.instance.subject,
            "body": serializer.instance.body,
            "start": serializer.instance.start,
            "end": serializer.instance.end,
            "days": serializer.instance.days,
            **serializer.validated_data,
        }
        serializer.instance, self._change_set = services.autoresponse_set(actor=request_actor(self.request), **data)

    @extend_schema(responses={202: ChangeSetRefSerializer})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        reply: Autoresponse = self.get_object()
        change_set = services.autoresponse_delete(mailbox=reply.mailbox, actor=request_actor(request))
        return Response({"change_set": change_set.pk}, status=status.HTTP_202_ACCEPTED)
