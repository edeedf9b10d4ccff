"""Reads of websites, scoped to what the actor may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from panel.web.models import Website

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import User


def website_list(*, actor: User | AnonymousUser) -> QuerySet[Website]:
    return (
        Website.objects.visible_to(actor).select_related("account", "server", "certificate").prefetch_related("domains")
    )
