from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from panel.accounts.models import ApiToken, User, hash_token_key
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_me_shows_the_customer_and_its_account(client_a: APIClient, customer_a: User) -> None:
    data = client_a.get("/api/me/").data
    assert (data["username"], data["role"]) == (customer_a.username, "customer")
    assert data["account"]["handle"] == "alice"


def test_me_for_staff_has_no_account(staff_client: APIClient) -> None:
    data = staff_client.get("/api/me/").data
    assert (data["role"], data["account"]) == ("staff", None)


def test_obtain_token_with_password_then_use_and_revoke_it(anon_client: APIClient, customer_a: User) -> None:
    response = anon_client.post(
        "/api/auth/token/", {"username": customer_a.username, "password": PASSWORD, "name": "laptop"}, format="json"
    )
    assert response.status_code == 201
    key = response.data["key"]
    token = ApiToken.objects.get(pk=response.data["id"])
    assert token.key_hash == hash_token_key(key) and key not in token.key_hash  # only the hash is stored
    assert token.prefix == key[:8]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/me/").status_code == 200
    assert "key" not in client.get(f"/api/tokens/{token.pk}/").data
    assert client.delete(f"/api/tokens/{token.pk}/").status_code == 204
    assert client.get("/api/me/").status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_wrong_password_and_unknown_token_are_refused(anon_client: APIClient, customer_a: User) -> None:
    response = anon_client.post(
        "/api/auth/token/", {"username": customer_a.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.data["code"] == "invalid_credentials"
    assert not ApiToken.objects.exists()
    anon_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert anon_client.get("/api/me/").status_code == 401


def test_token_obtain_is_throttled(anon_client: APIClient, customer_a: User) -> None:
    statuses = [
        anon_client.post(
            "/api/auth/token/", {"username": customer_a.username, "password": "guess"}, format="json"
        ).status_code
        for _ in range(25)
    ]
    assert statuses[0] == 400
    assert statuses[-1] == 429


def test_inactive_user_token_stops_working(client_a: APIClient, customer_a: User) -> None:
    customer_a.is_active = False
    customer_a.save()
    assert client_a.get("/api/me/").status_code == 401


def test_session_login_works_for_the_api(customer_a: User) -> None:
    client = APIClient()
    assert client.login(username=customer_a.username, password=PASSWORD)
    assert client.get("/api/me/").data["account"]["handle"] == "alice"


def test_request_id_is_echoed_and_recorded(staff_client: APIClient, account_a: object) -> None:
    response = staff_client.post(
        "/api/accounts/",
        {
            "handle": "erin",
            "name": "Erin",
            "contacts": [{"name": "E", "email": "e@elsewhere.org", "usages": ["emergency"]}],
        },
        format="json",
        HTTP_X_REQUEST_ID="req-123",
    )
    assert response["X-Request-ID"] == "req-123"
    from panel.core.models import ObjectChange

    assert (
        ObjectChange.objects.get(content_type__model="account", object_id=str(response.data["id"])).request_id
        == "req-123"
    )
