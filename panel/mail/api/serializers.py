"""Input shapes of the mail API. Rules live in the services; a password is accepted, never returned."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from panel.accounts.api.serializers import AccountOwnedSerializer, allow_foreign_name_field
from panel.core.api.fields import BoundedDateField, PrimaryKeyRelatedField
from panel.mail import validators as mail_validators
from panel.mail.choices import SpamPreset
from panel.mail.models import Address, Autoresponse, Mailbox, MailDomain
from panel.mail.selectors import mail_domain_list, mailbox_list
from panel.mail.services import MAILBOXES_PER_REQUEST

MAILBOX_WRITABLE = ["name", "password", "quota_mb", "is_active", "spam", "spam_score", "sieve_custom"]
APPLY_FIELDS = ["apply_state", "apply_error", "applied_at", "pending_delete", "suspended"]
SUSPENDED_HELP = "The account is disabled: this object is suspended on its servers until the account is enabled."


def _scope(serializer: serializers.Serializer[Any], field: str, queryset: Any) -> None:
    request = serializer.context.get("request")
    if request is not None:
        target = serializer.fields[field]
        target = getattr(target, "child_relation", target)  # many=True wraps the related field
        target.queryset = queryset(actor=request.user)  # type: ignore[union-attr]


class MailDomainSerializer(AccountOwnedSerializer):
    suspended = serializers.BooleanField(read_only=True, help_text=SUSPENDED_HELP)
    server = serializers.SlugRelatedField(slug_field="name", read_only=True)  # type: ignore[var-annotated]
    allow_foreign_name = allow_foreign_name_field()

    class Meta:
        model = MailDomain
        fields: ClassVar[list[str]] = [
            "id", "name", "account", "server", "allow_foreign_name", *APPLY_FIELDS, "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields: ClassVar[list[str]] = APPLY_FIELDS
        extra_kwargs: ClassVar[dict[str, Any]] = {"name": {"validators": []}}  # taken: 409 from the service


class MailboxEntrySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """The writable fields of a new mailbox: one entry of a bulk create, and the base of MailboxSerializer."""

    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Only on creation; change it with set-password. Never returned.",
    )
    spam = serializers.ChoiceField(choices=SpamPreset.choices, required=False)
    sieve_custom = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=mail_validators.SIEVE_MAX_BYTES
    )

    class Meta:
        model = Mailbox
        fields: ClassVar[list[str]] = MAILBOX_WRITABLE
        extra_kwargs: ClassVar[dict[str, Any]] = {"name": {"validators": []}}


class MailboxSerializer(AccountOwnedSerializer, MailboxEntrySerializer):
    suspended = serializers.BooleanField(read_only=True, help_text=SUSPENDED_HELP)
    server = serializers.SlugRelatedField(slug_field="name", read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = Mailbox
        fields: ClassVar[list[str]] = [
            "id",
            "account",
            "server",
            *MAILBOX_WRITABLE,
            *APPLY_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = APPLY_FIELDS
        extra_kwargs: ClassVar[dict[str, Any]] = {"name": {"validators": []}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and "password" not in attrs:
            raise serializers.ValidationError({"password": "A new mailbox needs a password."})
        if self.instance is not None and "password" in attrs:
            raise serializers.ValidationError({"password": "Change the password with POST .../set-password/."})
        return super().validate(attrs)


class MailboxBulkSerializer(AccountOwnedSerializer):
    """Up to 1,000 new mailboxes of one account, created together or not at all, in one change set."""

    mailboxes = serializers.ListSerializer(  # type: ignore[var-annotated]
        child=MailboxEntrySerializer(), min_length=1, max_length=MAILBOXES_PER_REQUEST
    )

    class Meta:
        model = Mailbox
        fields: ClassVar[list[str]] = ["account", "mailboxes"]


class MailboxBulkCreatedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    mailboxes = MailboxSerializer(many=True, read_only=True)
    change_set = serializers.IntegerField(read_only=True, help_text="The one change set of every new mailbox.")


class PasswordSerializer(serializers.Serializer):  # type: ignore[type-arg]
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})


class AddressSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    suspended = serializers.BooleanField(read_only=True, help_text=SUSPENDED_HELP)
    domain = PrimaryKeyRelatedField(queryset=MailDomain.objects.none())
    mailboxes = PrimaryKeyRelatedField(many=True, queryset=Mailbox.objects.none(), required=False)
    forwards = serializers.ListField(
        child=serializers.CharField(max_length=254, trim_whitespace=False), required=False, max_length=50
    )
    email = serializers.CharField(read_only=True)

    class Meta:
        model = Address
        fields: ClassVar[list[str]] = [
            "id",
            "domain",
            "local_part",
            "email",
            "mailboxes",
            "forwards",
            *APPLY_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = APPLY_FIELDS
        validators: ClassVar[list[Any]] = []  # uniqueness: 409 from the service

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scope(self, "domain", mail_domain_list)
        _scope(self, "mailboxes", mailbox_list)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and attrs.get("domain", self.instance.domain) == self.instance.domain:
            attrs.pop("domain", None)  # unchanged; a different one reaches the service, which refuses it
        return attrs


class AutoresponseSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    suspended = serializers.BooleanField(read_only=True, help_text=SUSPENDED_HELP)
    mailbox = PrimaryKeyRelatedField(queryset=Mailbox.objects.none())
    start = BoundedDateField(required=False, allow_null=True)
    end = BoundedDateField(required=False, allow_null=True)

    class Meta:
        model = Autoresponse
        fields: ClassVar[list[str]] = [
            "id",
            "mailbox",
            "subject",
            "body",
            "start",
            "end",
            "days",
            "suspended",
            "created_at",
            "updated_at",
        ]
        validators: ClassVar[list[Any]] = []
        # autoresponse_set checks these (the body in bytes, so at most as many characters); here they reach the schema.
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "body": {"max_length": 8000},
            "days": {"min_value": 1, "max_value": 60},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scope(self, "mailbox", mailbox_list)
