"""Every error the API answers has the documented shape {"detail", "code", "fields"}: refused input, protocol
errors DRF raises, and what Django answers itself under /api/ (unknown URLs, oversized bodies, crashes)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from panel.accounts.models import User
from panel.core.api.parsers import MAX_JSON_DEPTH, json_depth

pytestmark = pytest.mark.django_db

TEN_MB = 10 * 1024 * 1024


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"detail", "code", "fields"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["code"] == code, body
    assert isinstance(body["fields"], dict)
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body["fields"].values())
    return body


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# Nesting ---------------------------------------------------------------------------------------------------


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth(b"1") == 0
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'["[[[[", "\\"[[[", {}]') == 2
    assert json_depth(nested(950).encode()) == 950


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/contacts/", "/api/zones/", "/api/billing/run/"])
def test_deeply_nested_json_is_refused_before_parsing(
    path: str, anon_client: APIClient, staff_client: APIClient
) -> None:
    client = anon_client if path == "/api/auth/token/" else staff_client
    client.raise_request_exception = False
    response = client.post(path, nested(950), content_type="application/json")
    assert_error(response, 400, "too_deep")


def test_json_nested_up_to_the_limit_is_parsed(anon_client: APIClient) -> None:
    body = {"username": "x", "password": "y", "name": json.loads(nested(MAX_JSON_DEPTH - 1))}
    response = anon_client.post("/api/auth/token/", body, format="json")
    assert_error(response, 400, "invalid")  # a list is no name, but it got as far as validation


# Size ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/contacts/"])
def test_a_ten_megabyte_body_is_413_json(path: str, client_a: APIClient) -> None:
    client_a.raise_request_exception = False
    body = json.dumps({"username": "a" * TEN_MB, "password": "x", "name": "x" * TEN_MB})
    assert_error(client_a.post(path, body, content_type="application/json"), 413, "too_large")


# Protocol errors -------------------------------------------------------------------------------------------


def test_not_authenticated_is_401_with_the_shape(anon_client: APIClient) -> None:
    response = anon_client.get("/api/zones/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_bad_token_is_401_with_the_shape(anon_client: APIClient) -> None:
    anon_client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert_error(anon_client.get("/api/zones/"), 401, "authentication_failed")


def test_forbidden_is_403_with_the_shape(client_a: APIClient) -> None:
    assert_error(client_a.get("/api/accounts/"), 403, "permission_denied")


def test_unknown_object_is_404_with_the_shape(client_a: APIClient) -> None:
    body = assert_error(client_a.get("/api/contacts/999999/"), 404, "not_found")
    assert body["fields"] == {}


def test_unknown_api_url_is_404_json(client_a: APIClient) -> None:
    assert_error(client_a.get("/api/no-such-thing/"), 404, "not_found")


def test_pages_outside_the_api_keep_html_errors(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_method_not_allowed_is_405_with_the_shape(client_a: APIClient) -> None:
    assert_error(client_a.put("/api/me/", {}, format="json"), 405, "method_not_allowed")


def test_not_acceptable_is_406_with_the_shape(client_a: APIClient) -> None:
    assert_error(client_a.get("/api/me/", HTTP_ACCEPT="text/csv"), 406, "not_acceptable")


def test_unsupported_media_type_is_415_with_the_shape(client_a: APIClient) -> None:
    assert_error(client_a.post("/api/contacts/", "name=x", content_type="text/plain"), 415, "unsupported_media_type")


def test_form_bodies_are_415_the_api_takes_json(client_a: APIClient) -> None:
    response = client_a.post("/api/contacts/", "name=x", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


def test_malformed_json_is_400_parse_error(client_a: APIClient) -> None:
    assert_error(client_a.post("/api/contacts/", "{bad", content_type="application/json"), 400, "parse_error")


def test_invalid_utf8_is_400_parse_error(client_a: APIClient) -> None:
    response = client_a.post("/api/contacts/", b'{"name": "\xff"}', content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_throttled_is_429_with_the_shape(anon_client: APIClient, customer_a: User) -> None:
    for _ in range(25):
        response = anon_client.post(
            "/api/auth/token/", {"username": customer_a.username, "password": "g"}, format="json"
        )
    body = assert_error(response, 429, "throttled")
    assert body["fields"] == {} and int(response["Retry-After"]) > 0


def test_field_errors_name_the_field(client_a: APIClient) -> None:
    body = assert_error(client_a.post("/api/contacts/", {"name": "x"}, format="json"), 400, "invalid")
    assert "email" in body["fields"]


def test_a_crash_in_an_api_view_is_500_json(client_a: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("panel.accounts.api.views.MeView.get", crash)
    client_a.raise_request_exception = False
    body = assert_error(client_a.get("/api/me/"), 500, "server_error")
    assert "boom" not in body["detail"]


def test_depth_is_counted_whatever_the_charset(anon_client: APIClient) -> None:
    anon_client.raise_request_exception = False
    deep = nested(950).encode("utf-16")
    response = anon_client.post("/api/auth/token/", deep, content_type="application/json; charset=utf-16")
    assert_error(response, 400, "too_deep")
    shallow = json.dumps({"username": "x", "password": '"[[[[\\"', "name": ["["] * 3}).encode("utf-16")
    response = anon_client.post("/api/auth/token/", shallow, content_type="application/json; charset=utf-16")
    assert_error(response, 400, "invalid")
