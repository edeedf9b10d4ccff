from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _account_delete_guard(account: Any) -> str | None:
    from billing.models import Invoice

    if Invoice.objects.filter(account=account).exists():
        return "The account has invoices, which must be kept."
    return None


class BillingConfig(AppConfig):
    name = "billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from panel.accounts.registry import account_delete_guard

        account_delete_guard(_account_delete_guard)
