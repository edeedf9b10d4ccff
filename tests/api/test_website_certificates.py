"""Uploading a site's certificate through the API: checked where it enters (400 naming the field), the key stored
only encrypted and never shown nor audited, another tenant's site out of reach."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from panel.core import secrets
from panel.core.models import ObjectChange
from panel.servers.models import Server
from panel.web.models import Certificate
from tests.certs import chain_of, issue

pytestmark = pytest.mark.django_db

ROOT = issue("Test Root CA", ca=True, days=3650)
INTERMEDIATE = issue("Test Intermediate", issuer=ROOT, ca=True, days=365)
SITE = issue("shop.example", names=["shop.example", "www.shop.example"], issuer=INTERMEDIATE)


def _body(leaf: Any = SITE, **changes: str) -> dict[str, str]:
    return {
        "certificate": leaf.certificate_pem,
        "chain": chain_of(INTERMEDIATE),
        "key": leaf.key_pem(),
        **changes,
    }


@pytest.fixture
def site(client_a: APIClient, web_server: Server) -> dict[str, Any]:
    body = {"name": "shop", "domains": ["shop.example", "www.shop.example"]}
    response = client_a.post("/api/websites/", body, format="json")
    assert response.status_code == 201, response.data
    return dict(response.data)


def _key_body(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if "-----" not in line)


def test_a_certificate_is_uploaded_described_and_its_key_never_shown(client_a: APIClient, site: dict) -> None:
    url = f"/api/websites/{site['id']}/certificate/"
    response = client_a.put(url, _body(), format="json")
    assert response.status_code == 200, response.data
    assert response.data["names"] == ["shop.example", "www.shop.example"]
    assert response.data["issuer"] == "CN=Test Intermediate" and response.data["fingerprint"]
    assert "key" not in response.data
    assert client_a.get(url).data["fingerprint"] == response.data["fingerprint"]
    summary = client_a.get(f"/api/websites/{site['id']}/").data["certificate"]
    assert summary["names"] == response.data["names"] and summary["not_after"]

    stored = Certificate.objects.get()
    key = SITE.key_pem()
    assert _key_body(key)[:40] not in stored.key_encrypted
    assert secrets.decrypt(stored.key_encrypted).startswith("-----BEGIN PRIVATE KEY-----")
    for change in ObjectChange.objects.all():
        text = str(change.before) + str(change.after)
        assert stored.key_encrypted not in text and "PRIVATE KEY" not in text and _key_body(key)[:40] not in text
    assert ObjectChange.objects.filter(after__key_digest=stored.key_digest).exists(), "the audit says it changed"


def test_a_new_upload_replaces_the_certificate(client_a: APIClient, site: dict) -> None:
    url = f"/api/websites/{site['id']}/certificate/"
    first = client_a.put(url, _body(), format="json").data
    renewed = issue("shop.example", names=["shop.example", "*.shop.example"], issuer=INTERMEDIATE)
    second = client_a.put(url, _body(renewed), format="json").data
    assert second["fingerprint"] != first["fingerprint"] and Certificate.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("key", {"key": issue("other", names=["shop.example"]).key_pem()}),
        ("key", {"key": SITE.key_pem(b"passphrase")}),
        ("certificate", {"certificate": "\u0000garbage"}),
        ("certificate", {"certificate": "A" * 20_000}),
        ("chain", {"chain": chain_of(ROOT, INTERMEDIATE)}),
    ],
)
def test_bad_uploads_get_400_naming_the_field(
    client_a: APIClient, site: dict, field: str, changes: dict[str, str]
) -> None:
    response = client_a.put(f"/api/websites/{site['id']}/certificate/", _body(**changes), format="json")
    assert response.status_code == 400, response.data
    assert list(response.data["fields"]) == [field], response.data
    assert not Certificate.objects.exists()


def test_a_certificate_that_does_not_cover_the_site_is_refused(client_a: APIClient, site: dict) -> None:
    other = issue("other.example", names=["other.example"], issuer=INTERMEDIATE)
    response = client_a.put(f"/api/websites/{site['id']}/certificate/", _body(other), format="json")
    assert response.status_code == 400 and list(response.data["fields"]) == ["certificate"], response.data
    assert "does not cover shop.example, www.shop.example" in response.data["detail"]


def test_another_tenant_cannot_see_or_change_it(client_a: APIClient, client_b: APIClient, site: dict) -> None:
    url = f"/api/websites/{site['id']}/certificate/"
    client_a.put(url, _body(), format="json")
    assert client_b.get(url).status_code == 404
    assert client_b.put(url, _body(), format="json").status_code == 404
    assert client_b.delete(url).status_code == 404
    assert Certificate.objects.count() == 1


def test_it_can_be_removed_and_is_gone(client_a: APIClient, site: dict) -> None:
    url = f"/api/websites/{site['id']}/certificate/"
    client_a.put(url, _body(), format="json")
    assert client_a.delete(url).status_code == 204
    assert client_a.get(url).status_code == 404
    assert client_a.get(f"/api/websites/{site['id']}/").data["certificate"] is None


def test_keys_are_rotated_to_a_new_secret_key(client_a: APIClient, site: dict, settings: Any) -> None:
    client_a.put(f"/api/websites/{site['id']}/certificate/", _body(), format="json")
    old_key = settings.BATON_SECRET_KEYS[0]
    new_key = "bmV3LXRlc3Qtb25seS1ub3Qtc2VjcmV0LWZlcm5ldC0="
    settings.BATON_SECRET_KEYS = [new_key, old_key]
    call_command("rotate_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.BATON_SECRET_KEYS = [new_key]
    assert secrets.decrypt(Certificate.objects.get().key_encrypted).startswith("-----BEGIN PRIVATE KEY-----")


def test_https_needs_a_certificate_that_covers_the_site(client_a: APIClient, site: dict, web_server: Server) -> None:
    from panel.provisioning import hostvars
    from panel.provisioning.hostvars.web import render
    from panel.web.provisioning import load

    url = f"/api/websites/{site['id']}/"
    refused = client_a.patch(url, {"https": "redirect"}, format="json")
    assert refused.status_code == 409 and refused.data["code"] == "no_certificate", refused.data
    assert list(refused.data["fields"]) == ["https"]
    client_a.put(f"{url}certificate/", _body(), format="json")
    served = client_a.patch(url, {"https": "hsts"}, format="json")
    assert served.status_code == 200 and served.data["change_set"], served.data

    variables = render(load(web_server))
    [vhost] = variables["apache__host_sites"]
    assert vhost["https"] == "hsts" and vhost["tls_pem"].startswith("-----BEGIN PRIVATE KEY-----")
    text = hostvars.dump(variables)
    assert "PRIVATE KEY" not in text and '"__baton_secret": "sha256:' in text

    uncovered = client_a.patch(url, {"domains": ["shop.example", "other.example"]}, format="json")
    assert uncovered.status_code == 409 and uncovered.data["code"] == "not_covered", uncovered.data
    assert client_a.delete(f"{url}certificate/").data["code"] == "https_on"
    renewed = issue("shop.example", names=["shop.example", "www.shop.example"], issuer=INTERMEDIATE)
    replaced = client_a.put(f"{url}certificate/", _body(renewed), format="json")
    assert replaced.data["change_set"], "a site serving HTTPS serves the new certificate once applied"


def test_a_site_created_with_https_is_refused_without_a_certificate(client_a: APIClient, web_server: Server) -> None:
    body = {"name": "shop", "domains": ["shop.example"], "https": "on"}
    response = client_a.post("/api/websites/", body, format="json")
    assert response.status_code == 409 and response.data["code"] == "no_certificate", response.data
