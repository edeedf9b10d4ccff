"""Reads of servers and placements. Staff see them all; customers see none (servers are infrastructure).

`server_for`, `servers_with_role` and `dns_secondaries` are what provisioning asks; they take no actor
because the system itself is asking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from panel.core.models import is_staff_user
from panel.servers.choices import ServerRole
from panel.servers.models import Placement, Server

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import Account, User


def server_list(*, actor: User | AnonymousUser | None) -> QuerySet[Server]:
    if not is_staff_user(actor):
        return Server.objects.none()
    return Server.objects.select_related("host_key_confirmed_by")


def placement_list(*, actor: User | AnonymousUser | None) -> QuerySet[Placement]:
    if not is_staff_user(actor):
        return Placement.objects.none()
    return Placement.objects.select_related("server", "account").order_by("role", "account__handle", "pk")


def _usable(placement: Placement | None, role: str) -> Server | None:
    if placement is None or not placement.server.is_active or not placement.server.has_role(role):
        return None
    return placement.server


def server_for(*, account: Account | None, role: str) -> Server | None:
    """The server playing `role` for `account`: its own placement, else the role's default placement.

    When the account has its own placement, that decides even if its server is unusable (inactive or no
    longer having the role): falling back to the default would quietly move the account's services to
    another server. None means the account's services for this role have nowhere to go.
    """
    wanted = Q(account__isnull=True) if account is None else Q(account=account) | Q(account__isnull=True)
    override: Placement | None = None
    default: Placement | None = None
    for placement in Placement.objects.filter(wanted, role=role).select_related("server"):
        if placement.account_id is None:
            default = placement
        else:
            override = placement
    return _usable(override if override is not None else default, role)


def servers_with_role(role: str) -> list[Server]:
    """Active servers having `role`. Roles are a JSON list, filtered here: there are only a handful of servers."""
    return [server for server in Server.objects.filter(is_active=True) if server.has_role(role)]


def dns_secondaries() -> list[Server]:
    return servers_with_role(ServerRole.DNS_SECONDARY)
