"""Renderer of the web service: the panel's websites on one server -> php_fpm__host_pools (one pool per account
with a PHP site, running as the account's user) and apache__host_sites. Pure and sorted; customer strings tagged
unsafe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from panel.provisioning.hostvars import secret, unsafe


@dataclass(frozen=True)
class SiteData:
    name: str  # on the server: <handle>-<site>
    account: str
    dir: str
    domains: tuple[str, ...]  # the primary first
    php: bool
    https: str
    active: bool  # false: the site or its account is disabled (503)
    absent: bool = False
    tls_pem: str = field(default="", repr=False)  # key + certificate + chain when https is not off: a secret
    uid: int | None = None  # the account's: the run makes the site's directory when it is missing


@dataclass(frozen=True)
class WebServerData:
    sites: tuple[SiteData, ...]


def site_unit(site_name: str) -> str:
    return f"site:{site_name}"


def pool_unit(account: str) -> str:
    return f"pool:{account}"


def _site(site: SiteData) -> dict[str, Any]:
    if site.absent:  # its former names: the run asks them whether the vhost is gone
        return {
            "name": unsafe(site.name),
            "account": unsafe(site.account),
            "domains": [unsafe(domain) for domain in site.domains],
            "state": "absent",
            "unit": site_unit(site.name),
        }
    rendered = {
        "name": unsafe(site.name),
        "account": unsafe(site.account),
        "dir": unsafe(site.dir),
        "domains": [unsafe(domain) for domain in site.domains],
        "php_pool": unsafe(site.account) if site.php else "",
        "https": site.https if site.tls_pem else "off",
        "active": site.active,
        "state": "present",
        "unit": site_unit(site.name),
    }
    if site.uid is not None:
        rendered["uid"] = site.uid
    if site.tls_pem and site.https != "off":
        rendered["tls_pem"] = secret(site.tls_pem)  # written as its digest; the run gets it in memory
    return rendered


def render(data: WebServerData) -> dict[str, Any]:
    sites = sorted(data.sites, key=lambda s: s.name)
    # A suspended site needs no PHP: an account without an active PHP site has no pool, so disabling the account
    # stops its PHP workers in the same run (the reload ends the pool's processes).
    with_php = sorted({s.account for s in sites if s.php and s.active and not s.absent})
    return {
        "php_fpm__host_pools": [
            {
                "name": unsafe(account),
                "account": unsafe(account),
                "user": unsafe(account),
                "group": unsafe(account),
                "state": "present",
                "unit": pool_unit(account),
            }
            for account in with_php
        ],
        "apache__host_sites": [_site(site) for site in sites],
    }
