"""Servers the panel manages and where each account's services are placed."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from panel.core.models import TimeStampedModel
from panel.servers.choices import ServerRole


class Server(TimeStampedModel):
    """A managed host. Ansible reaches it over SSH at address:ssh_port as ssh_user and checks its pinned key.

    `service_address` is where other servers reach it (DNS notify and transfers); it defaults to `address`
    and differs when SSH goes through a published port or a tunnel, as with local test servers.
    `public_ipv4`/`public_ipv6` are what the world reaches its services at (a server behind NAT): the A/AAAA
    records that follow its sites point there.
    """

    name = models.CharField(max_length=63, unique=True, help_text="Inventory name, e.g. ns1.")
    address = models.CharField(max_length=253, help_text="Host name or IP address SSH connects to.")
    ssh_port = models.PositiveIntegerField(default=22)
    ssh_user = models.CharField(max_length=32, default="root")
    service_address = models.GenericIPAddressField(null=True, blank=True)
    public_ipv4 = models.GenericIPAddressField(
        protocol="IPv4", null=True, blank=True, help_text="The address the world reaches it at, when not its own."
    )
    public_ipv6 = models.GenericIPAddressField(protocol="IPv6", null=True, blank=True)
    roles = models.JSONField(default=list, blank=True, help_text="Service roles this server plays.")
    host_key = models.TextField(blank=True, help_text='Pinned SSH host key, e.g. "ssh-ed25519 AAAA...".')
    host_key_confirmed_at = models.DateTimeField(null=True, blank=True)
    host_key_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def reachable_address(self) -> str:
        """The address other servers use to reach this one."""
        return self.service_address or self.address

    @property
    def public_addresses(self) -> list[str]:
        """Where the world reaches its sites: the public addresses set, else the address other servers use."""
        found = [address for address in (self.public_ipv4, self.public_ipv6) if address]
        return found or [self.reachable_address]

    @property
    def inventory_groups(self) -> list[str]:
        return sorted(role.replace("-", "_") for role in self.roles)


class Placement(models.Model):
    """Which server plays a role for an account. The row without an account is the default for that role."""

    role = models.CharField(max_length=16, choices=ServerRole.choices)
    server = models.ForeignKey(Server, on_delete=models.PROTECT, related_name="placements")
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="placements"
    )

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["role", "account"], name="servers_placement_one_per_account_role"),
            models.UniqueConstraint(
                fields=["role"], condition=Q(account__isnull=True), name="servers_placement_one_default_per_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} -> {self.server} ({self.account or 'default'})"
