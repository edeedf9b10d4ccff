from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from panel.accounts.models import Account, User
from panel.accounts.services import token_create
from tests.factories import make_account, make_customer, make_staff


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    # Throttle counters live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(db: None) -> User:
    return make_staff()


@pytest.fixture
def account_a(db: None) -> Account:
    return make_account("alice")


@pytest.fixture
def account_b(db: None) -> Account:
    return make_account("bob")


@pytest.fixture
def customer_a(account_a: Account) -> User:
    return make_customer(account_a)


@pytest.fixture
def customer_b(account_b: Account) -> User:
    return make_customer(account_b)


def token_client(user: User) -> APIClient:
    """A client authenticated the way scripts are: with a real API token in the Authorization header."""
    _, key = token_create(user=user, name="tests", actor=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def staff_client(staff: User) -> APIClient:
    return token_client(staff)


@pytest.fixture
def client_a(customer_a: User) -> APIClient:
    return token_client(customer_a)


@pytest.fixture
def client_b(customer_b: User) -> APIClient:
    return token_client(customer_b)
