"""Accounts (the customers), their contacts, the people who log in, and their API tokens."""

from __future__ import annotations

import hashlib
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from panel.accounts.choices import AccountType, ContactUsage, UserRole
from panel.accounts.validators import (
    HANDLE_MAX_LENGTH,
    validate_country,
    validate_handle,
    validate_phone,
    validate_usable_email,
)
from panel.core.models import TenantQuerySet, TimeStampedModel
from panel.core.validators import validate_multiline, validate_single_line

# Free text had no limit (1 MB addresses went through); these leave room for any real one.
COMMENTS_MAX_LENGTH = 10_000
ADDRESS_MAX_LENGTH = 500


class Account(TimeStampedModel):
    """A customer: owns every hosted object and is what gets billed.

    The handle doubles as the account's unix user name on every server, so it never changes. A deleted
    account that still has invoices is soft-deleted (deleted_at set) so its bills stay reproducible.
    """

    handle = models.CharField(max_length=HANDLE_MAX_LENGTH, unique=True, validators=[validate_handle])
    name = models.CharField(
        max_length=200, validators=[validate_single_line], help_text="Full or legal name shown on invoices."
    )
    type = models.CharField(max_length=16, choices=AccountType.choices, default=AccountType.INDIVIDUAL)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    is_active = models.BooleanField(default=True, help_text="Disabled accounts have every service suspended.")
    comments = models.TextField(
        blank=True,
        max_length=COMMENTS_MAX_LENGTH,
        validators=[MaxLengthValidator(COMMENTS_MAX_LENGTH), validate_multiline],
        help_text="Staff notes, never shown to the customer.",
    )
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    tenant_path: ClassVar[str] = "pk"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["handle"]

    def __str__(self) -> str:
        return self.handle

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Contact(TimeStampedModel):
    """A person or role the provider can reach about an account, for billing, technical or emergency matters."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, validators=[validate_single_line])
    email = models.EmailField(max_length=254, validators=[validate_usable_email])
    phone = models.CharField(max_length=32, blank=True, validators=[validate_phone])
    address = models.TextField(
        blank=True,
        max_length=ADDRESS_MAX_LENGTH,
        validators=[MaxLengthValidator(ADDRESS_MAX_LENGTH), validate_multiline],
    )
    city = models.CharField(max_length=100, blank=True, validators=[validate_single_line])
    postal_code = models.CharField(max_length=20, blank=True, validators=[validate_single_line])
    country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    is_billing = models.BooleanField(default=False)
    is_technical = models.BooleanField(default=False)
    is_emergency = models.BooleanField(default=False)

    tenant_path: ClassVar[str] = "account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["account", "name", "pk"]
        # the API lists them per tenant in this order: the index serves the page without sorting every row
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["account", "name", "id"], name="accounts_contact_list_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def usages(self) -> list[str]:
        flags = {
            ContactUsage.BILLING: self.is_billing,
            ContactUsage.TECHNICAL: self.is_technical,
            ContactUsage.EMERGENCY: self.is_emergency,
        }
        return [str(usage) for usage, enabled in flags.items() if enabled]


class User(AbstractUser):
    """Someone who logs in: staff (no account, sees everything) or a customer user of exactly one account."""

    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="users",
        help_text="The account a customer user belongs to. Staff users have none.",
    )

    tenant_path: ClassVar[str] = "account"
    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(is_staff=True) | Q(account__isnull=False),
                name="accounts_user_staff_or_account",
                violation_error_message="A user is either staff or belongs to an account.",
            ),
            models.CheckConstraint(
                condition=Q(is_staff=False) | Q(account__isnull=True),
                name="accounts_user_staff_has_no_account",
                violation_error_message="Staff users do not belong to a customer account.",
            ),
        ]

    @property
    def role(self) -> str:
        return str(UserRole.STAFF if self.is_staff else UserRole.CUSTOMER)


def hash_token_key(key: str) -> str:
    # API keys are long random strings, so a fast hash is as safe as a slow one and keeps auth cheap.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A revocable API credential. Only its hash is stored; the key is shown once, when created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, validators=[validate_single_line])
    prefix = models.CharField(max_length=8, help_text="First characters of the key, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    tenant_path: ClassVar[str] = "user__account"

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-pk"]
        # the API lists them per tenant in this order: the index serves the page without sorting every row
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "-created_at", "-id"], name="accounts_token_list_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
