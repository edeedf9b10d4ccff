"""Input shapes for the accounts API. Domain rules live in the services; these only describe fields."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from panel.accounts.choices import ContactUsage
from panel.accounts.models import Account, ApiToken, Contact, User
from panel.accounts.selectors import account_list
from panel.core.api.fields import BlankableEmailField, PrimaryKeyRelatedField
from panel.core.models import is_staff_user
from panel.core.validators import validate_single_line

CONTACT_FIELDS = ["name", "email", "phone", "address", "city", "postal_code", "country", "usages"]


class ContactInlineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    usages = serializers.ListField(
        child=serializers.ChoiceField(choices=ContactUsage.choices), allow_empty=True, required=False
    )

    class Meta:
        model = Contact
        fields: ClassVar[list[str]] = ["id", *CONTACT_FIELDS]


def allow_foreign_name_field() -> serializers.BooleanField:
    """Staff only: give the account a name another account holds (panel.core.names); recorded in the audit log."""
    return serializers.BooleanField(
        write_only=True,
        required=False,
        help_text="Staff only: take a name (or a name under one) that another account holds; audited. A customer "
        "asking gets 403.",
    )


class AccountOwnedSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """Base of serializers for objects an account owns (contacts, zones, mailboxes...).

    The `account` field offers only the accounts the caller may see, so a customer naming another account's
    id gets "object does not exist", exactly as for a missing one. A customer's objects go to its own account
    by default; staff must say which account. An object never moves to another account.
    """

    account = PrimaryKeyRelatedField(queryset=Account.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["account"].queryset = account_list(actor=request.user)  # type: ignore[attr-defined]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context.get("request")
        noun = self.Meta.model._meta.verbose_name  # type: ignore[attr-defined]
        if self.instance is not None:
            if "account" in attrs and attrs["account"] != self.instance.account:
                raise serializers.ValidationError({"account": f"A {noun} cannot move to another account."})
            attrs.pop("account", None)
        elif "account" not in attrs and request is not None:
            if is_staff_user(request.user):
                raise serializers.ValidationError({"account": f"Staff must say which account the {noun} is for."})
            attrs["account"] = request.user.account
        return attrs


class ContactSerializer(AccountOwnedSerializer, ContactInlineSerializer):
    class Meta:
        model = Contact
        fields: ClassVar[list[str]] = ["id", "account", *CONTACT_FIELDS, "created_at", "updated_at"]


class AccountSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    contacts = ContactInlineSerializer(many=True, required=False)

    class Meta:
        model = Account
        fields: ClassVar[list[str]] = [
            "id",
            "handle",
            "name",
            "type",
            "language",
            "is_active",
            "comments",
            "contacts",
            "created_at",
            "updated_at",
            "deleted_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["is_active", "created_at", "updated_at", "deleted_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not attrs.get("contacts"):
            raise serializers.ValidationError({"contacts": "An account needs at least one emergency contact."})
        if self.instance is not None and "contacts" in attrs:
            raise serializers.ValidationError({"contacts": "Change contacts through /api/contacts/."})
        return attrs


class AccountStateSerializer(AccountSerializer):
    """The answer to disable and enable: the account and the change sets that suspend or restore its objects."""

    change_sets = serializers.SerializerMethodField(
        help_text="Ids of the change sets (one per server and service) that suspend or restore the objects."
    )

    class Meta(AccountSerializer.Meta):
        fields: ClassVar[list[str]] = [*AccountSerializer.Meta.fields, "change_sets"]

    def get_change_sets(self, account: Account) -> list[int]:
        return [change_set.pk for change_set in self.context.get("change_sets", ())]


class AccountDeletedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(
        choices=["deleted", "soft_deleted"],
        help_text="deleted: gone from the panel; soft_deleted: kept (see reasons), disabled.",
    )
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Why the account had to be kept (empty when it is gone)."
    )
    change_sets = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The change sets that take the account's objects off its servers (poll them until applied).",
    )


class AccountSummarySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Account
        fields: ClassVar[list[str]] = ["id", "handle", "name", "type", "language", "is_active"]


class MeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    email = BlankableEmailField(read_only=True)
    role = serializers.CharField(read_only=True)
    account = AccountSummarySerializer(read_only=True, allow_null=True, help_text="Null for staff.")

    class Meta:
        model = User
        fields: ClassVar[list[str]] = ["id", "username", "email", "first_name", "last_name", "role", "account"]
        read_only_fields: ClassVar[list[str]] = fields


class AccountUserSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    email = BlankableEmailField(required=False, max_length=254)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})

    class Meta:
        model = User
        fields: ClassVar[list[str]] = ["id", "username", "email", "password"]


class ApiTokenSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ApiToken
        fields: ClassVar[list[str]] = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields: ClassVar[list[str]] = ["prefix", "created_at", "last_used_at", "revoked_at"]


class NewApiTokenSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields: ClassVar[list[str]] = [*ApiTokenSerializer.Meta.fields, "key"]


class ObtainTokenSerializer(serializers.Serializer):  # type: ignore[type-arg]
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(max_length=100, default="api", validators=[validate_single_line])
