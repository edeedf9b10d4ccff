"""Staff admin for name proofs: read-only, with "check now" through the same service as the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from panel.core.admin import ReadOnly
from panel.core.errors import ApplicationError
from panel.names import services
from panel.names.models import NameProof


@admin.register(NameProof)
class NameProofAdmin(ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "account", "proven_at", "proven_by", "checked_at", "check_error")
    list_filter = ("proven_by",)
    search_fields = ("name", "account__handle")
    list_select_related = ("account",)
    actions = ("check_now",)

    @admin.action(description="Check the selected names now (waiting objects go live when proven)")
    def check_now(self, request: HttpRequest, queryset: Any) -> None:
        for proof in queryset:
            try:
                checked, _ = services.name_proof_check(proof=proof, actor=request.user)  # type: ignore[arg-type]
            except ApplicationError as error:
                self.message_user(request, f"{proof}: {error.message}", messages.ERROR)
                continue
            level = messages.SUCCESS if checked.proven else messages.WARNING
            self.message_user(request, f"{proof}: {'proven' if checked.proven else checked.check_error}", level)
