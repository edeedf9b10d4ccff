"""System users: the unix identity of an account on the servers that store its files (one uid for all of them),
and its SFTP/SSH logins, each with its own keys. The users role renders them on every `web` server."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q

from panel.core.models import TenantQuerySet, TimeStampedModel
from panel.provisioning.models import Provisioned
from panel.systemusers.choices import Access
from panel.systemusers.validators import COMMENT_MAX_LENGTH, KEY_MAX_LENGTH, validate_system_user_name

# The users role's range (roles/users/defaults/main.yml): tenants' uids never meet Debian's or a daemon's.
UID_MIN = 200_000
UID_MAX = 299_999


class UnixId(models.Model):
    """The uid (and gid) of an account, the same on every server. Allocated once and never deleted: when the
    account goes, the row stays (account cleared), so its number is never given to anyone else and files left
    on a disk can never become another tenant's."""

    account = models.OneToOneField(
        "accounts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="unix_id"
    )
    handle = models.CharField(max_length=32, help_text="The account's handle when the uid was allocated.")
    uid = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # What a deleted account left on its servers (its home under /srv/baton, never served): kept for a grace period,
    # then removed by the daily task or a staff action. The handle stays reserved until then.
    account_ref = models.PositiveBigIntegerField(
        null=True, blank=True, db_index=True, help_text="The account's id, kept after the account is deleted."
    )
    removed_at = models.DateTimeField(null=True, blank=True, help_text="When the account was deleted.")
    purge_requested_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True, help_text="When its home was removed from every server.")
    purge_error = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["uid"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(uid__gte=UID_MIN) & Q(uid__lte=UID_MAX),
                name="systemusers_unixid_uid_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.handle} ({self.uid})"


class SystemUser(Provisioned, TimeStampedModel):
    """An SFTP or SSH login of an account. Every user of an account has the account's uid, so what it writes
    stays the account's. The account's own user (named like its handle) is one of them and stays as long as the
    account stores files. Only the SHA512-crypt hash of a password is stored."""

    name = models.CharField(max_length=32, unique=True, validators=[validate_system_user_name])
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="system_users")
    server = models.ForeignKey("servers.Server", on_delete=models.PROTECT, related_name="system_users")
    is_main = models.BooleanField(default=False, editable=False, help_text="The account's own user.")
    access = models.CharField(max_length=8, choices=Access.choices, default=Access.SFTP)
    scope = models.CharField(
        max_length=200, blank=True, help_text="Empty: the whole account home. web/<site>: that site only."
    )
    password_hash = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    tenant_path: ClassVar[str] = "account"
    audit_exclude: ClassVar[tuple[str, ...]] = ("password_hash",)
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(is_main=True), name="systemusers_one_main_user_per_account"
            ),
        ]
        # the API lists them per tenant in this order: the index serves the page without sorting every row
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["account", "name"], name="systemusers_user_list_idx")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)


class SshKey(Provisioned, TimeStampedModel):
    """An SSH public key a system user logs in with. Stored as the panel re-rendered it (no options, a clean
    comment), so what reaches authorized_keys is never what the customer typed."""

    system_user = models.ForeignKey(SystemUser, on_delete=models.CASCADE, related_name="keys")
    type = models.CharField(max_length=32)
    blob = models.TextField(max_length=KEY_MAX_LENGTH)
    comment = models.CharField(max_length=COMMENT_MAX_LENGTH, blank=True)
    bits = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=60)

    tenant_path: ClassVar[str] = "system_user__account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["system_user", "pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["system_user", "fingerprint"], name="systemusers_key_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.system_user.name}: {self.type} {self.fingerprint}"

    @property
    def line(self) -> str:
        return f"{self.type} {self.blob} {self.comment}".rstrip()

    @property
    def account_id(self) -> int:
        return self.system_user.account_id
