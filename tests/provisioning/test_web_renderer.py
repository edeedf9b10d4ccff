"""The web renderer: deterministic, golden-file tested, customer strings tagged !unsafe, one pool per account with
a PHP site, suspended and absent sites rendered so the roles answer 503 or drop the vhost; checked against the
php_fpm and apache argument specs and their preflights."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from panel.provisioning import hostvars, registry
from panel.provisioning.hostvars.web import SiteData, WebServerData, render
from tests.hosts import REPO
from tests.provisioning.specs import role_spec_errors

GOLDEN = Path(__file__).parent / "golden" / "web.json"
DATA = WebServerData(
    sites=(
        SiteData("acme-shop", "acme", "shop", ("shop.example", "www.shop.example"), True, "off", True),
        SiteData("acme-static", "acme", "static", ("static.example",), False, "off", True),
        SiteData("globex-www", "globex", "www", ("globex.example",), True, "off", False),
        SiteData("initech-www", "initech", "www", ("initech.example",), False, "off", True, absent=True),
    )
)


def _problems(role: str, filters: str, name: str, value: object) -> list[str]:
    spec = importlib.util.spec_from_file_location(filters, REPO / "roles" / role / "filter_plugins" / f"{filters}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, name)(value))


def test_rendered_vars_match_the_golden_file() -> None:
    text = hostvars.dump(render(DATA))
    if os.environ.get("BATON_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_one_pool_per_account_with_php_and_sites_as_the_roles_want_them() -> None:
    rendered = render(DATA)
    # globex's only PHP site is suspended: no pool, so its PHP workers stop with the suspension.
    assert [pool["name"] for pool in rendered["php_fpm__host_pools"]] == ["acme"]
    sites = {site["name"]: site for site in rendered["apache__host_sites"]}
    assert sites["acme-static"]["php_pool"] == "" and sites["globex-www"]["active"] is False
    assert sites["initech-www"] == {
        "name": "initech-www",
        "account": "initech",
        "domains": ["initech.example"],  # the run asks these whether the vhost is gone
        "state": "absent",
        "unit": "site:initech-www",
    }
    loaded = hostvars.load(hostvars.dump(rendered))
    assert all(isinstance(domain, hostvars.Unsafe) for domain in loaded["apache__host_sites"][0]["domains"])


def test_rendered_vars_satisfy_the_argument_specs_and_the_roles_preflights() -> None:
    assert registry.get("web").argument_specs == ("php_fpm", "apache")
    rendered = render(DATA)
    for role in ("php_fpm", "apache"):
        own = {name: value for name, value in rendered.items() if name.startswith(f"{role}__")}
        assert role_spec_errors(role, own) == []
    plain = hostvars.load(hostvars.dump(rendered))
    assert _problems("apache", "apache_filters", "apache_problems", plain["apache__host_sites"]) == []
    assert _problems("php_fpm", "php_fpm_filters", "php_fpm_problems", plain["php_fpm__host_pools"]) == []
