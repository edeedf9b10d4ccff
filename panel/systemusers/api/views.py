"""System users API: SFTP/SSH logins of an account (with set-password) and their SSH keys. Writes answer with the
change set to poll, like every provisioned object."""

from __future__ import annotations

from typing import ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from panel.provisioning.api.viewsets import ChangeSetRefSerializer, ProvisionedViewSet
from panel.systemusers import services
from panel.systemusers.api.serializers import SshKeySerializer, SystemUserPasswordSerializer, SystemUserSerializer
from panel.systemusers.selectors import ssh_key_list, system_user_list


class SystemUserViewSet(ProvisionedViewSet):
    """SFTP (chrooted) and SSH shell users of an account, sharing the account's uid. The account's own user (named
    like the handle) comes with the first one and stays."""

    serializer_class = SystemUserSerializer
    selector = staticmethod(system_user_list)
    create_service = staticmethod(services.system_user_create)
    update_service = staticmethod(services.system_user_update)
    delete_service = staticmethod(services.system_user_delete)
    instance_kwarg = "system_user"
    filterset_fields: ClassVar[list[str]] = ["account", "access", "is_active", "apply_state"]
    search_fields: ClassVar[list[str]] = ["name"]

    @extend_schema(request=SystemUserPasswordSerializer, responses={202: ChangeSetRefSerializer})
    @action(detail=True, methods=["post"], url_path="set-password", serializer_class=SystemUserPasswordSerializer)
    def set_password(self, request: Request, pk: str | None = None) -> Response:
        return self.set_password_with(request, services.system_user_set_password, SystemUserPasswordSerializer)


class SshKeyViewSet(ProvisionedViewSet):
    """SSH public keys of system users. A key added works from the next login once applied; a key deleted
    (revoked) is refused from the next login, open sessions stay."""

    http_method_names: ClassVar[list[str]] = ["get", "post", "delete", "head", "options"]  # type: ignore[misc]
    serializer_class = SshKeySerializer
    selector = staticmethod(ssh_key_list)
    create_service = staticmethod(services.ssh_key_create)
    delete_service = staticmethod(services.ssh_key_delete)
    instance_kwarg = "key"
    filterset_fields: ClassVar[list[str]] = ["system_user", "apply_state"]
    search_fields: ClassVar[list[str]] = ["fingerprint", "comment"]
