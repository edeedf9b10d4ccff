"""Seed the demo: a staff user and a customer account with a login, printing their credentials.

Idempotent: running it again keeps existing objects and resets the demo passwords.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from panel.accounts.models import Account, User
from panel.accounts.services import account_create, user_create, user_set_password

DEMO_STAFF = ("admin", "baton-staff-demo")
DEMO_CUSTOMER = ("demo", "baton-customer-demo")


class Command(BaseCommand):
    help = "Create the demo staff user and demo customer (idempotent) and print their credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        staff = self._user(DEMO_STAFF, is_staff=True, account=None)
        staff.is_superuser = True
        staff.save(update_fields=["is_superuser"])
        account = Account.objects.filter(handle="demo").first() or account_create(
            handle="demo",
            name="Demo Customer Ltd",
            type="company",
            contacts=[
                {
                    "name": "Demo Emergency",
                    "email": "emergency@demo-customer.org",
                    "usages": ["emergency", "technical", "billing"],
                },
            ],
            actor=staff,
        )
        self._user(DEMO_CUSTOMER, is_staff=False, account=account, actor=staff)
        self.stdout.write(
            "\nDemo credentials\n"
            f"  staff    {DEMO_STAFF[0]} / {DEMO_STAFF[1]}      http://127.0.0.1:8000/admin/\n"
            f"  customer {DEMO_CUSTOMER[0]} / {DEMO_CUSTOMER[1]}  http://127.0.0.1:8000/\n"
            "  API      http://127.0.0.1:8000/api/docs/  (token: POST /api/auth/token/ with username and password)\n"
        )

    def _user(
        self, credentials: tuple[str, str], *, is_staff: bool, account: Account | None, actor: User | None = None
    ) -> User:
        username, password = credentials
        user = User.objects.filter(username=username).first()
        if user is None:
            return user_create(
                username=username,
                password=password,
                is_staff=is_staff,
                account=account,
                email=f"{username}@demo-customer.org",
                actor=actor,
            )
        return user_set_password(user=user, password=password, actor=None)
