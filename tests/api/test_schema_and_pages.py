from __future__ import annotations

import pytest
from django.test import Client

from panel.accounts.models import Account, User
from panel.dns.services import zone_create
from tests.factories import PASSWORD, ContactFactory

pytestmark = pytest.mark.django_db


def test_openapi_schema_lists_every_endpoint(client: Client) -> None:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/accounts/",
        "/api/accounts/{id}/disable/",
        "/api/contacts/",
        "/api/contacts/{id}/",
        "/api/me/",
        "/api/tokens/",
        "/api/auth/token/",
    ]:
        assert path in paths, path


def test_api_docs_page_works_offline(client: Client) -> None:
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html  # assets come from the sidecar package


def test_customer_portal_login_and_home_shows_only_own_objects(
    client: Client, customer_a: User, account_a: Account, account_b: Account, dns_servers: object
) -> None:
    ContactFactory(account=account_b, name="Bob's secret contact")
    zone_create(account=account_a, name="alice-portal.example", actor=None)
    zone_create(account=account_b, name="bob-secret.example", actor=None)
    assert client.get("/").status_code == 302
    response = client.post("/login/", {"username": customer_a.username, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "Account alice" in page
    assert "emergency@alice-home.org" in page
    assert "secret contact" not in page
    assert "alice-portal.example" in page and "Pending" in page
    assert "bob-secret.example" not in page


def test_staff_admin_lists_accounts(client: Client, staff: User, account_a: Account) -> None:
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    assert "alice" in client.get("/admin/accounts/account/").content.decode()
    assert client.get(f"/admin/accounts/account/{account_a.pk}/change/").status_code == 200
    assert client.get("/admin/core/objectchange/").status_code == 200
