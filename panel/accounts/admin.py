"""Staff admin for accounts, contacts, users and tokens. Writes go through the services."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from panel.accounts.models import Account, ApiToken, Contact, User
from panel.accounts.registry import is_own_mail_domain
from panel.accounts.services import (
    account_delete,
    account_disable,
    account_enable,
    contact_delete,
    token_revoke,
)
from panel.accounts.validators import email_domain
from panel.core.audit import record_change, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import ApplicationError


class ContactFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """The admin honours the same rule as the services: one reachable emergency contact at least."""

    def clean(self) -> None:
        super().clean()
        kept = [form.cleaned_data for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if not any(
            data.get("is_emergency") and not is_own_mail_domain(email_domain(data.get("email", ""))) for data in kept
        ):
            raise ValidationError(
                "An account needs at least one emergency contact whose email is not hosted on our own mail servers."
            )


class ContactInline(admin.StackedInline):  # type: ignore[type-arg]
    model = Contact
    formset = ContactFormSet
    extra = 0
    fields = (
        ("name", "email", "phone"),
        ("is_billing", "is_technical", "is_emergency"),
        "address",
        ("postal_code", "city", "country"),
    )


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("handle", "name", "type", "language", "is_active", "deleted_at", "created_at")
    list_filter = ("is_active", "type", "language", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("handle", "name", "contacts__email")
    readonly_fields = ("is_active", "deleted_at", "created_at", "updated_at")
    inlines: ClassVar[list[type]] = [ContactInline]
    actions = ["disable_accounts", "enable_accounts", "delete_accounts"]

    def get_readonly_fields(self, request: HttpRequest, obj: Account | None = None) -> Any:
        # The handle is the unix user name on every server: fixed once the account exists.
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "handle") if obj is not None else fields

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletion must go through account_delete (invoices are kept)
        return actions

    def _each(self, request: HttpRequest, queryset: QuerySet[Account], service: Any, verb: str) -> None:
        done = 0
        for account in queryset:
            try:
                service(account=account, actor=request.user)
                done += 1
            except ApplicationError as error:
                self.message_user(request, f"{account}: {error.message}", messages.ERROR)
        self.message_user(request, f"{verb} {done} account(s).", messages.SUCCESS)

    @admin.action(description="Disable selected accounts (suspends every service)")
    def disable_accounts(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        self._each(request, queryset, account_disable, "Disabled")

    @admin.action(description="Enable selected accounts")
    def enable_accounts(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        self._each(request, queryset, account_enable, "Enabled")

    @admin.action(description="Delete selected accounts (soft-delete when invoices exist)")
    def delete_accounts(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        self._each(request, queryset, account_delete, "Deleted")

    def save_model(self, request: HttpRequest, obj: Account, form: Any, change: bool) -> None:
        before = snapshot(Account.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        action = ChangeAction.UPDATE if change else ChangeAction.CREATE
        record_change(actor=request.user, action=action, obj=obj, before=before, after=snapshot(obj))  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Account) -> None:
        account_delete(account=obj, actor=request.user)  # type: ignore[arg-type]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "email", "account", "is_billing", "is_technical", "is_emergency")
    list_filter = ("is_billing", "is_technical", "is_emergency")
    search_fields = ("name", "email", "account__handle")
    list_select_related = ("account",)
    autocomplete_fields = ("account",)

    def delete_model(self, request: HttpRequest, obj: Contact) -> None:
        try:
            contact_delete(contact=obj, actor=request.user)  # type: ignore[arg-type]
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "email", "account", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_active")
    list_select_related = ("account",)
    autocomplete_fields = ("account",)
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Account", {"fields": ("account",)}))  # type: ignore[misc]
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "account", "is_staff", "password1", "password2")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("user", "name", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are shown once, so tokens are created through the API or the portal

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            token_revoke(token=token, actor=request.user)  # type: ignore[arg-type]
