"""Staff admin for mail: apply state visible everywhere; writes go through the API (which validates)."""

from __future__ import annotations

from django.contrib import admin

from panel.mail.models import Address, Autoresponse, Mailbox, MailDomain
from panel.provisioning.admin import ProvisionedReadOnlyAdmin as ReadOnlyAdmin


@admin.register(MailDomain)
class MailDomainAdmin(ReadOnlyAdmin):
    list_display = ("name", "account", "server", "state", "pending_delete")
    list_filter = ("apply_state", "server")
    search_fields = ("name", "account__handle")


@admin.register(Mailbox)
class MailboxAdmin(ReadOnlyAdmin):
    list_display = ("name", "account", "server", "quota_mb", "is_active", "spam", "state")
    list_filter = ("apply_state", "is_active", "spam", "server")
    search_fields = ("name", "account__handle")
    exclude = ("password_hash",)


@admin.register(Address)
class AddressAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "domain", "state", "pending_delete")
    list_filter = ("apply_state",)
    search_fields = ("local_part", "domain__name")


@admin.register(Autoresponse)
class AutoresponseAdmin(ReadOnlyAdmin):
    list_display = ("mailbox", "subject", "start", "end", "days")
    search_fields = ("mailbox__name", "subject")
