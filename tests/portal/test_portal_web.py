"""The websites pages without JavaScript: a site created with its domains, its settings changed, HTTPS refused
until a certificate is uploaded (checked where it enters, its key never shown again), tenancy, CSRF."""

from __future__ import annotations

import pytest

from panel.accounts.models import Account, User
from panel.servers.models import Server
from panel.web.models import Certificate, Website
from panel.web.services import website_create
from tests.certs import issue
from tests.portal.test_portal_dns import browser

pytestmark = pytest.mark.django_db


def test_a_site_its_settings_and_its_certificate_through_the_forms(customer_a: User, web_server: Server) -> None:
    client = browser(customer_a)
    response = client.post("/websites/", {"name": "shop", "domains": "shop.example\nwww.shop.example", "php": "fpm"})
    site = Website.objects.get(name="shop")
    assert response.status_code == 302 and response["Location"] == f"/websites/{site.pk}/"
    assert list(site.domains.order_by("-is_primary", "position").values_list("name", flat=True)) == [
        "shop.example", "www.shop.example"
    ]  # fmt: skip
    body = {"domains": "shop.example\nwww.shop.example", "php": "fpm", "https": "on", "is_enabled": "on"}
    refused = client.post(f"/websites/{site.pk}/", body).content.decode()
    assert "HTTPS needs a certificate" in refused and Website.objects.get(pk=site.pk).https == "off"
    leaf = issue("shop.example", names=["shop.example", "www.shop.example"])
    other_key = issue("x").key_pem()
    url = f"/websites/{site.pk}/certificate/"
    mismatch = client.post(url, {"certificate": leaf.certificate_pem, "key": other_key})
    assert mismatch.status_code == 200 and 'id="id_key_errors"' in mismatch.content.decode()
    stored = client.post(
        f"/websites/{site.pk}/certificate/", {"certificate": leaf.certificate_pem, "key": leaf.key_pem()}
    )
    assert stored.status_code == 302 and Certificate.objects.filter(website=site).exists()
    page = client.get(f"/websites/{site.pk}/").content.decode()
    assert "Valid until" in page and "PRIVATE KEY" not in page
    assert client.post(f"/websites/{site.pk}/", body).status_code == 302
    assert Website.objects.get(pk=site.pk).https == "on"


def test_a_refused_domain_is_shown_next_to_its_field(customer_a: User, web_server: Server) -> None:
    response = browser(customer_a).post("/websites/", {"name": "shop", "domains": "localhost", "php": "fpm"})
    assert response.status_code == 200 and 'id="id_domains_errors"' in response.content.decode()
    assert not Website.objects.exists()


def test_another_accounts_site_is_not_found(account_a: Account, customer_b: User, web_server: Server) -> None:
    site, _ = website_create(account=account_a, name="shop", domains=["shop.example"], actor=None)
    other = browser(customer_b)
    for url in [f"/websites/{site.pk}/", f"/websites/{site.pk}/delete/", f"/state/website/{site.pk}/"]:
        assert other.get(url).status_code == 404, url
    leaf = issue("shop.example", names=["shop.example"])
    posts = {
        f"/websites/{site.pk}/": {"domains": "evil.example", "php": "off", "https": "off"},
        f"/websites/{site.pk}/certificate/": {"certificate": leaf.certificate_pem, "key": leaf.key_pem()},
        f"/websites/{site.pk}/delete/": {},
    }
    for url, body in posts.items():
        assert other.post(url, body).status_code == 404, url
    assert not Certificate.objects.exists() and not Website.objects.get(pk=site.pk).pending_delete
    assert "shop.example" not in other.get("/websites/").content.decode()
