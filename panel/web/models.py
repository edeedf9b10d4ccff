"""Websites: an account's sites, each with its domains, served by the apache role (PHP through the php_fpm role's
pool of the account, running as the account's unix user) on the account's web server."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from panel.core.models import TenantQuerySet, TimeStampedModel
from panel.provisioning.models import Provisioned
from panel.web.choices import HttpsMode, PhpMode
from panel.web.validators import SITE_NAME_MAX_LENGTH, validate_site_name


class Website(Provisioned, TimeStampedModel):
    """A site of an account: its files are /srv/baton/<handle>/web/<name>/public on its server."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="websites")
    server = models.ForeignKey("servers.Server", on_delete=models.PROTECT, related_name="websites")
    name = models.CharField(max_length=SITE_NAME_MAX_LENGTH, validators=[validate_site_name])
    php = models.CharField(max_length=8, choices=PhpMode.choices, default=PhpMode.FPM)
    https = models.CharField(max_length=8, choices=HttpsMode.choices, default=HttpsMode.OFF)
    is_enabled = models.BooleanField(default=True, help_text="A disabled site answers 503; its files stay.")

    tenant_path: ClassVar[str] = "account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["account", "name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["account", "name"], name="web_site_name_unique_per_account"),
        ]

    def __str__(self) -> str:
        return f"{self.account.handle}/{self.name}"

    @property
    def server_name(self) -> str:
        """Its name on the server (the vhost's file): unique there, since handles are."""
        return f"{self.account.handle}-{self.name}"


class WebsiteDomain(models.Model):
    """A host name a site answers for; each is one site's only, across the whole panel."""

    website = models.ForeignKey(Website, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(max_length=253, unique=True)
    is_primary = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    proven = models.BooleanField(
        default=True, help_text="False: the name is outside every zone here and waits for its account's proof."
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["website", "position"]

    def __str__(self) -> str:
        return self.name


class Certificate(TimeStampedModel):
    """A site's uploaded certificate (leaf and chain in clear, they are public) and its private key, stored only
    encrypted (panel.core.secrets): shown nowhere, its digest tells whether it changed."""

    website = models.OneToOneField(Website, on_delete=models.CASCADE, related_name="certificate")
    certificate = models.TextField()
    chain = models.TextField(blank=True)
    key_encrypted = models.TextField()
    key_digest = models.CharField(max_length=80)
    names = models.JSONField(default=list)
    issuer = models.CharField(max_length=1000)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    fingerprint = models.CharField(max_length=100)

    tenant_path: ClassVar[str] = "website__account"
    audit_exclude: ClassVar[tuple[str, ...]] = ("key_encrypted", "certificate", "chain")
    objects = TenantQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.website}: {', '.join(self.names[:3])}"
