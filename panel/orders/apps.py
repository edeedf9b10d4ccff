from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _account_delete_guard(account: Any) -> str | None:
    from panel.orders.models import Order

    if Order.objects.filter(account=account, billed_on__isnull=False).exists():
        return "The account has billed orders."
    return None


class OrdersConfig(AppConfig):
    name = "panel.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        # The billable objects of the apps that exist today; later apps register theirs in their own ready().
        from panel.accounts.models import Account
        from panel.accounts.registry import account_delete_guard
        from panel.dns.models import Zone
        from panel.mail.models import Mailbox
        from panel.orders import registry, signals
        from panel.systemusers.models import SystemUser
        from panel.web.models import Website

        registry.register_billable(
            Account,
            account_of=lambda account: account,
            fields={"handle", "type", "language", "is_active"},
            is_gone=lambda account: account.deleted_at is not None,
        )
        registry.register_billable(Zone, account_of=lambda zone: zone.account, fields={"name", "ttl"})
        registry.register_billable(
            Mailbox, account_of=lambda mailbox: mailbox.account, fields={"name", "quota_mb", "is_active", "spam"}
        )
        # A service may bill shell users apart (match on access) or leave the account's own user out (is_main).
        registry.register_billable(
            SystemUser, account_of=lambda user: user.account, fields={"name", "access", "is_active", "is_main"}
        )
        registry.register_billable(
            Website, account_of=lambda site: site.account, fields={"name", "php", "https", "is_enabled"}
        )
        signals.connect_all()
        account_delete_guard(_account_delete_guard)
