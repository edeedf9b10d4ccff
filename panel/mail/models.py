"""Mail: domains enabled for mail, mailboxes (the logins), addresses (what mail is sent to) and
autoresponses. The postfix and dovecot roles serve them on the account's mail server."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q

from panel.core.models import TenantQuerySet, TimeStampedModel
from panel.mail.choices import SpamPreset
from panel.provisioning.models import Provisioned


class MailDomain(Provisioned, TimeStampedModel):
    """A domain whose mail this panel handles. When the account's DNS zone of that name is hosted here, its
    MX and SPF records are added to the zone automatically."""

    name = models.CharField(max_length=253, unique=True)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="mail_domains")
    server = models.ForeignKey("servers.Server", on_delete=models.PROTECT, related_name="mail_domains")

    tenant_path: ClassVar[str] = "account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        # the API lists them per tenant in this order: the index serves the page without sorting every row
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["account", "name"], name="mail_domain_list_idx")]

    def __str__(self) -> str:
        return self.name


class Mailbox(Provisioned, TimeStampedModel):
    """A place mail is stored and the login to read it (IMAP) and send (submission). Only the password hash
    dovecot verifies is stored."""

    name = models.CharField(max_length=64)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="mailboxes")
    server = models.ForeignKey("servers.Server", on_delete=models.PROTECT, related_name="mailboxes")
    password_hash = models.CharField(max_length=200)
    quota_mb = models.PositiveIntegerField(default=1024, help_text="0 is unlimited.")
    is_active = models.BooleanField(default=True)
    spam = models.CharField(max_length=8, choices=SpamPreset.choices, default=SpamPreset.OFF)
    spam_score = models.PositiveSmallIntegerField(default=5)
    sieve_custom = models.TextField(blank=True, help_text="Your own sieve script, checked on the server.")

    tenant_path: ClassVar[str] = "account"
    audit_exclude: ClassVar[tuple[str, ...]] = ("password_hash",)
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["server", "name"], name="mail_mailbox_name_unique_per_server"),
        ]
        # the API lists them per tenant in this order: the index serves the page without sorting every row
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["account", "name"], name="mail_mailbox_list_idx")]

    def __str__(self) -> str:
        return self.name


class Address(Provisioned, TimeStampedModel):
    """local_part@domain, delivering to mailboxes of the same account and/or forwarding elsewhere. An empty
    local part is the domain's catch-all."""

    domain = models.ForeignKey(MailDomain, on_delete=models.CASCADE, related_name="addresses")
    local_part = models.CharField(max_length=64, blank=True)
    mailboxes = models.ManyToManyField(Mailbox, blank=True, related_name="addresses")
    forwards = models.JSONField(default=list, blank=True)

    tenant_path: ClassVar[str] = "domain__account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["domain", "local_part"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["domain", "local_part"], name="mail_address_unique_per_domain"),
        ]

    def __str__(self) -> str:
        return f"{self.local_part}@{self.domain.name}" if self.local_part else f"@{self.domain.name} (catch-all)"

    @property
    def email(self) -> str:
        return f"{self.local_part}@{self.domain.name}" if self.local_part else f"@{self.domain.name}"

    @property
    def account_id(self) -> int:
        return self.domain.account_id


class Autoresponse(TimeStampedModel):
    """A vacation reply of a mailbox: once per sender every `days` days, never to lists or bounces."""

    mailbox = models.OneToOneField(Mailbox, on_delete=models.CASCADE, related_name="autoresponse")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    days = models.PositiveSmallIntegerField(default=7)

    tenant_path: ClassVar[str] = "mailbox__account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(start__isnull=True) | Q(end__gte=models.F("start")),
                name="mail_autoresponse_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox}: {self.subject}"

    @property
    def suspended(self) -> bool:
        """The mailbox's account is disabled: the reply is not sent (the mailbox is suspended)."""
        return self.mailbox.suspended
