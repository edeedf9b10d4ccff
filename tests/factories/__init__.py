"""Test data. Accounts are created through the service so every factory-made account obeys the domain rules."""

from __future__ import annotations

from typing import Any

import factory

from panel.accounts.models import Account, Contact, User
from panel.accounts.services import account_create, user_create

PASSWORD = "correct-horse-battery-staple"


def make_account(handle: str, **kwargs: Any) -> Account:
    contacts = kwargs.pop("contacts", None) or [
        {"name": f"{handle} emergency", "email": f"emergency@{handle}-home.org", "usages": ["emergency"]}
    ]
    return account_create(
        handle=handle, name=kwargs.pop("name", f"{handle.title()} Ltd"), contacts=contacts, actor=None, **kwargs
    )


def make_customer(account: Account, username: str | None = None) -> User:
    return user_create(username=username or f"{account.handle}-user", password=PASSWORD, account=account, actor=None)


def make_staff(username: str = "staff") -> User:
    return user_create(username=username, password=PASSWORD, is_staff=True, actor=None)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@customer-mail.org")
    is_technical = True


def host_key(seed: int = 1) -> str:
    """A well-formed ed25519 public host key line (the key itself is made up)."""
    import base64

    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes([seed % 256]) * 32
    return f"ssh-ed25519 {base64.b64encode(blob).decode()}"
