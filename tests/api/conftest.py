"""Fixtures the API tests share."""

from __future__ import annotations

from datetime import date

import pytest

from panel.accounts.models import Account, User
from panel.accounts.services import contact_create
from panel.orders.models import Order
from panel.orders.services import order_update_for, service_create


@pytest.fixture
def ordered(staff: User, account_a: Account) -> Order:
    """Account A with a billing contact and the order of a monthly hosting service."""
    contact_create(account=account_a, name="Billing", email="billing@alice-home.org", usages=["billing"], actor=None)
    service_create(
        description="Hosting",
        content_type="accounts.account",
        nominal_price="10.00",
        billing_point="fixed_day",
        actor=staff,
    )
    [order] = order_update_for(obj=account_a, actor=None, on=date(2024, 3, 10))
    return order
