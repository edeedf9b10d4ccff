from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from panel.accounts.models import Account, User
from panel.accounts.services import token_create
from panel.servers.models import Placement, Server
from tests.factories import host_key, make_account, make_customer, make_staff


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


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory, settings: object) -> None:
    """Every test gets its own desired-state repository and run directory."""
    base = tmp_path_factory.mktemp("state")
    settings.BATON_DESIRED_STATE_DIR = str(base / "desired-state")  # type: ignore[attr-defined]
    settings.BATON_RUN_DIR = str(base / "runs")  # type: ignore[attr-defined]
    settings.MEDIA_ROOT = str(base / "media")  # type: ignore[attr-defined]


@pytest.fixture
def dns_servers(db: None) -> tuple[Server, Server]:
    """A primary placed by default for every account, and one secondary. Not reachable: for tests that fake
    the runner or never run."""
    primary = Server.objects.create(
        name="ns1",
        address="127.0.0.1",
        ssh_port=2201,
        roles=["dns-primary"],
        service_address="10.88.0.2",
        host_key=host_key(1),
        host_key_confirmed_at=timezone.now(),
    )
    secondary = Server.objects.create(
        name="ns2",
        address="127.0.0.1",
        ssh_port=2202,
        roles=["dns-secondary"],
        service_address="10.88.0.3",
        host_key=host_key(2),
        host_key_confirmed_at=timezone.now(),
    )
    Placement.objects.create(role="dns-primary", server=primary)
    return primary, secondary


@pytest.fixture
def mail_server(db: None) -> Server:
    """A mail server placed by default for every account (not reachable: for tests that never run Ansible)."""
    server = Server.objects.create(
        name="mx1",
        address="127.0.0.1",
        ssh_port=2301,
        roles=["mail"],
        host_key=host_key(3),
        host_key_confirmed_at=timezone.now(),
    )
    Placement.objects.create(role="mail", server=server)
    return server


@pytest.fixture
def web_server(db: None) -> Server:
    """A web server placed by default for every account (not reachable: for tests that never run Ansible)."""
    server = Server.objects.create(
        name="web1",
        address="127.0.0.1",
        ssh_port=2401,
        roles=["web"],
        host_key=host_key(4),
        host_key_confirmed_at=timezone.now(),
    )
    Placement.objects.create(role="web", server=server)
    return server
