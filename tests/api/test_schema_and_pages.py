from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

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
    assert account_a.name in page
    assert "emergency@alice-home.org" in page
    assert "secret contact" not in page
    zones = client.get("/dns/").content.decode()
    assert "alice-portal.example" in zones and "Applying" in zones
    assert "bob-secret.example" not in zones


def test_staff_admin_lists_accounts(client: Client, staff: User, account_a: Account) -> None:
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    assert "alice" in client.get("/admin/accounts/account/").content.decode()
    assert client.get(f"/admin/accounts/account/{account_a.pk}/change/").status_code == 200
    assert client.get("/admin/core/objectchange/").status_code == 200


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        generator = SchemaGenerator()
        return generator.get_schema(request=None, public=True)  # type: ignore[no-any-return]


def _resolve(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]  # type: ignore[no-any-return]


def test_every_operation_documents_its_errors_with_the_error_shape(schema: dict[str, Any]) -> None:
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code", "fields"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            errors = {code for code in responses if code >= "400"}
            assert "406" in errors, (method, path)
            if operation.get("security") != [{}]:
                assert {"401", "403"} <= errors, (method, path)
            if "{" in path:
                assert "404" in errors, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= errors, (method, path)
            for code in errors:
                assert responses[code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (method, path, code)
    assert "429" in schema["paths"]["/api/auth/token/"]["post"]["responses"]
    assert "401" not in schema["paths"]["/api/auth/token/"]["post"]["responses"]


def test_schema_says_what_is_null(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["Invoice"]["properties"]["amends"]["nullable"] is True
    assert components["Server"]["properties"]["host_key_confirmed_by"]["nullable"] is True
    assert components["Me"]["properties"]["account"].get("nullable") is True
    # Users may have no email: "" is not `format: email`, so the schema allows both.
    assert {"type": "string", "maxLength": 0} in components["Me"]["properties"]["email"]["oneOf"]


def test_provisioned_writes_document_the_change_set_and_202_deletes(schema: dict[str, Any]) -> None:
    zone = schema["paths"]["/api/zones/{id}/"]
    assert "204" not in zone["delete"]["responses"]
    accepted = _resolve(schema, zone["delete"]["responses"]["202"]["content"]["application/json"]["schema"]["$ref"])
    assert set(accepted["required"]) == {"change_set", "apply_state", "pending_delete"}
    for method in ("put", "patch"):
        written = zone[method]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert {"record_count", "change_set"} <= set(_resolve(schema, written)["required"])
    created = schema["paths"]["/api/zones/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert "change_set" in _resolve(schema, created["$ref"])["properties"]
    password = schema["paths"]["/api/mail/mailboxes/{id}/set-password/"]["post"]["responses"]["202"]
    assert "change_set" in _resolve(schema, password["content"]["application/json"]["schema"]["$ref"])["properties"]
    account = schema["paths"]["/api/accounts/{id}/"]["delete"]["responses"]
    assert "204" not in account
    deleted = _resolve(schema, account["202"]["content"]["application/json"]["schema"]["$ref"])
    assert set(deleted["required"]) == {"status", "reasons", "change_sets"}
