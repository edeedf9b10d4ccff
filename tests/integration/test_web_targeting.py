"""A site's change runs the web roles for that site and its account's pool only (their scopes as extra vars);
the first run on a server, and a converge, stay full runs."""

from __future__ import annotations

import pytest

from panel.accounts.models import Account
from panel.provisioning import engine
from panel.servers.models import Server
from panel.web.services import website_create, website_update
from tests.integration.fakes import fake_runner

pytestmark = pytest.mark.django_db


def test_a_site_change_targets_its_site_and_pool(
    monkeypatch: pytest.MonkeyPatch, account_a: Account, account_b: Account, web_server: Server
) -> None:
    runs = fake_runner(monkeypatch)
    site, _ = website_create(account=account_a, name="shop", domains=["shop.example"], actor=None)
    website_create(account=account_b, name="www", domains=["bob.example"], actor=None)
    engine.process(web_server.pk, "users")
    engine.process(web_server.pk, "web")
    assert [r.extravars for r in runs if r.service == "web"] == [{}], "the first web run is a full one"
    website_update(website=site, php="off", actor=None)
    engine.process(web_server.pk, "web")
    last = [r for r in runs if r.service == "web"][-1]
    assert last.tags == ("php_fpm:pools", "apache:sites")
    assert last.extravars == {
        "apache__host_only": ["site:alice-shop pool:alice"],
        "php_fpm__host_only": ["site:alice-shop pool:alice"],
    }
    # A change of the vhost alone (names, HTTPS, certificate) leaves the pool out of the run.
    website_update(website=site, domains=["shop.example", "www.shop.example"], actor=None)
    engine.process(web_server.pk, "web")
    last = [r for r in runs if r.service == "web"][-1]
    assert last.extravars == {"apache__host_only": ["site:alice-shop"], "php_fpm__host_only": ["site:alice-shop"]}
