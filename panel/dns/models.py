"""DNS zones and their records, as customers manage them. The bind9 role serves them."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from panel.core.models import TenantQuerySet, TimeStampedModel
from panel.dns.choices import RecordType
from panel.provisioning.models import Provisioned


class Zone(Provisioned, TimeStampedModel):
    """A domain served by our name servers: its primary (placed at creation) and every DNS secondary.

    Names under a zone belong to it: `shop.example.org` is a record of `example.org`, never another zone.
    The serial (YYYYMMDDnn) goes up once for every change set that changes the zone.
    """

    name = models.CharField(max_length=253, unique=True, help_text="Apex, lowercase, punycode, no trailing dot.")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="zones")
    primary = models.ForeignKey("servers.Server", on_delete=models.PROTECT, related_name="primary_zones")
    serial = models.PositiveBigIntegerField()
    ttl = models.PositiveIntegerField(default=3600)
    soa_mname = models.CharField(max_length=254)
    soa_rname = models.CharField(max_length=254)
    soa_refresh = models.PositiveIntegerField(default=3600)
    soa_retry = models.PositiveIntegerField(default=600)
    soa_expire = models.PositiveIntegerField(default=1209600)
    soa_minimum = models.PositiveIntegerField(default=300)

    tenant_path: ClassVar[str] = "account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        # the API lists them per tenant in this order: the index serves the page without sorting every row
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["account", "name"], name="dns_zone_list_idx")]

    def __str__(self) -> str:
        return self.name


class Record(Provisioned, TimeStampedModel):
    """One resource record. `name` is relative to the zone (`@` is the apex); `value` is normalised RDATA,
    except TXT, whose value is the text itself (quoted and split when the zone file is written)."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="records")
    name = models.CharField(max_length=253, default="@")
    type = models.CharField(max_length=5, choices=RecordType.choices)
    ttl = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: the zone's TTL.")
    value = models.TextField()
    follows = models.CharField(
        max_length=40,
        blank=True,
        default="",
        help_text="The object the panel made this record for (e.g. website:12): it goes with that object or its "
        "name, unless someone edited the record since (an edit clears this).",
    )

    tenant_path: ClassVar[str] = "zone__account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["zone", "name", "type", "value"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["zone", "name"], name="dns_record_name_idx")]

    def __str__(self) -> str:
        label = self.zone.name if self.name == "@" else f"{self.name}.{self.zone.name}"
        return f"{label} {self.type} {self.value[:60]}"

    @property
    def account_id(self) -> int:
        return self.zone.account_id
