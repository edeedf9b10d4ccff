"""Staff admin for websites: read-only with the apply state; writes go through the API (which validates)."""

from __future__ import annotations

from django.contrib import admin

from panel.provisioning.admin import ProvisionedReadOnlyAdmin
from panel.web.models import Website, WebsiteDomain


class WebsiteDomainInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WebsiteDomain
    extra = 0
    can_delete = False
    readonly_fields = ("name", "is_primary", "position")


@admin.register(Website)
class WebsiteAdmin(ProvisionedReadOnlyAdmin):
    list_display = ("__str__", "account", "server", "php", "https", "is_enabled", "state", "pending_delete")
    list_filter = ("apply_state", "php", "https", "is_enabled", "server")
    search_fields = ("name", "account__handle", "domains__name")
    list_select_related = ("account", "server")
    inlines = (WebsiteDomainInline,)
