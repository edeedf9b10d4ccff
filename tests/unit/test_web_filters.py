"""The apache and php_fpm roles' own checks of their data (the floor under the panel's validation: a role run by
hand gets the same refusals) and the files they install, one per site and pool."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROLES = Path(__file__).resolve().parents[2] / "roles"


def _load(role: str, module: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module, ROLES / role / "filter_plugins" / f"{module}.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@pytest.fixture(scope="module")
def apache() -> ModuleType:
    return _load("apache", "apache_filters")


@pytest.fixture(scope="module")
def php_fpm() -> ModuleType:
    return _load("php_fpm", "php_fpm_filters")


SITE = {"name": "shop", "account": "acme", "dir": "shop", "domains": ["shop.example", "www.shop.example"]}


def test_valid_sites_pass_and_get_one_vhost_each(apache: ModuleType) -> None:
    sites = [SITE, {**SITE, "name": "blog", "dir": "blog", "domains": ["blog.example"], "php_pool": "acme"},
             {"name": "old", "account": "acme", "state": "absent"}]  # fmt: skip
    assert apache.apache_problems(sites) == []
    files = apache.apache_site_files(sites, "/etc/apache2/baton/sites")
    assert [(f["dest"], f["unit"]) for f in files] == [
        ("/etc/apache2/baton/sites/blog.conf", "site:blog"),
        ("/etc/apache2/baton/sites/shop.conf", "site:shop"),
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name": "../etc"}, "site name"),
        ({"dir": "../../bob"}, "dir"),
        ({"dir": "a/b"}, "dir"),
        ({"account": "Root"}, "account"),
        ({"domains": ["shop.example\nInclude /etc/shadow"]}, "is not a host name"),
        ({"domains": ["shop example"]}, "is not a host name"),
        ({"domains": []}, "has no domain"),
        ({"php_pool": "x y"}, "php_pool"),
    ],
)
def test_hostile_sites_are_refused(apache: ModuleType, change: dict[str, object], problem: str) -> None:
    problems = apache.apache_problems([{**SITE, **change}])
    assert problems and problem in problems[0]


def test_a_domain_served_by_two_sites_is_refused(apache: ModuleType) -> None:
    other = {**SITE, "name": "copy", "domains": ["www.shop.example"]}
    assert apache.apache_problems([SITE, other]) == ["site 'copy': 'www.shop.example' is also a domain of site 'shop'"]


POOL = {"name": "acme", "account": "acme", "user": "acme", "group": "acme", "php_values": {"memory_limit": "128M"}}


def test_valid_pools_pass(php_fpm: ModuleType) -> None:
    assert php_fpm.php_fpm_problems([POOL]) == []
    [entry] = php_fpm.php_fpm_pool_files([POOL, {**POOL, "name": "gone", "state": "absent"}], "/p", "baton-")
    assert (entry["dest"], entry["unit"]) == ("/p/baton-acme.conf", "pool:acme")


@pytest.mark.parametrize(
    "change",
    [
        {"name": "../x"},
        {"user": "root x"},
        {"php_values": {"memory_limit": "1G\nphp_admin_value[open_basedir] = /"}},
        {"php_values": {"memory_limit": '"1G"'}},
        {"php_admin_values": {"open basedir": "/"}},
    ],
)
def test_hostile_pools_are_refused(php_fpm: ModuleType, change: dict[str, object]) -> None:
    assert php_fpm.php_fpm_problems([{**POOL, **change}])


def _answer(name: str, digest: str) -> str:
    return f"HTTP 200\nDate: now\nX-Baton-Site: {name} {digest}\nContent-Length: 3\n"


def test_vhost_probes_wait_for_the_generation_that_loaded_this_vhost(apache: ModuleType) -> None:
    gone = {"name": "old", "account": "acme", "domains": ["old.example"], "state": "absent", "unit": "site:old"}
    sites = [SITE, {**SITE, "name": "blog", "dir": "blog", "domains": ["blog.example"]}, gone]
    files = {f["label"]: f for f in apache.apache_site_files(sites, "/etc/apache2/baton/sites", "t1")}
    probes = apache.apache_serving_probes(sites, ["vhost shop"], ["/etc/apache2/baton/sites/old.conf"], 80, "t1")
    assert [(p["label"], p["http"]["host"]) for p in probes] == [
        ("vhost old", "old.example"),
        ("vhost shop", "shop.example"),
    ]
    old, shop = probes
    digest = files["vhost shop"]["item"]["served"]
    assert re.search(shop["expect"], _answer("shop", digest))
    assert not re.search(shop["expect"], _answer("shop", "0" * 20)), "the previous generation's vhost"
    assert not re.search(shop["expect"], _answer("shopx", digest))
    assert re.search(old["expect"], _answer("shop", digest)), "another vhost answers the removed site's name"
    assert not re.search(old["expect"], _answer("old", "1" * 20))
    # Anything the vhost is made of changes its answer: its data, its certificate, the template.
    assert apache.apache_site_files([{**SITE, "tls_pem": "x"}], "/d", "t1")[0]["item"]["served"] != digest
    assert apache.apache_site_files([SITE], "/d", "t2")[0]["item"]["served"] != digest
    assert apache.apache_site_files([SITE], "/d", "t1")[0]["item"]["served"] == digest
    assert apache.apache_serving_probes(sites, [], ["/etc/apache2/baton/sites/other.conf"], 80, "t1") == []


def test_https_sites_are_probed_with_sni_and_an_unchanged_converged_site_is_the_canary(apache: ModuleType) -> None:
    shop = {**SITE, "https": "redirect", "tls_pem": "pem"}
    blog = {**SITE, "name": "blog", "dir": "blog", "domains": ["blog.example"], "https": "on", "tls_pem": "pem"}
    wiki = {**SITE, "name": "wiki", "account": "beta", "dir": "wiki", "domains": ["wiki.example"]}
    sites = [shop, blog, wiki]
    files = {f["label"]: f for f in apache.apache_site_files(sites, "/s", "t1")}
    probes = apache.apache_serving_probes(sites, ["vhost shop"], [], 80, "t1", 8443, "/s")
    changed = [p for p in probes if "canary" not in p]
    assert [(p["label"], p.get("http", p.get("https"))) for p in changed] == [
        ("vhost shop", {"port": 80, "host": "shop.example"}),
        ("vhost shop (https)", {"port": 8443, "host": "shop.example"}),
    ]
    assert all(p["unit"] == "site:shop" for p in changed)
    canaries = [p for p in probes if "canary" in p]
    assert [(p["canary"], "https" in p) for p in canaries] == [("blog", False), ("blog", True), ("wiki", False)]
    blog_digest = files["vhost blog"]["item"]["served"]
    assert canaries[0]["if_contains"] == {"path": "/s/blog.conf", "text": f'X-Baton-Site "blog {blog_digest}"'}
    assert re.search(canaries[0]["expect"], _answer("blog", blog_digest))
    assert "unit" not in canaries[0], "a canary fails no site of its own"
    # Nothing changed: no probe at all (no remote step), canaries included.
    assert apache.apache_serving_probes(sites, [], [], 80, "t1", 443, "/s") == []


def test_pool_probes_ping_the_changed_pools_through_their_sockets(php_fpm: ModuleType) -> None:
    pools = [{**POOL, "name": name} for name in ("acme", "globex")]
    files = {f["label"]: f for f in php_fpm.php_fpm_pool_files(pools, "/etc/php/8.4/fpm/pool.d", "baton-", "t")}
    [probe] = php_fpm.php_fpm_serving_probes(pools, ["pool globex"], "/run/php", "baton-", "/baton-ping", "t")
    assert probe["unit"] == "pool:globex"
    assert probe["fcgi"] == {"socket": "/run/php/baton-globex.sock", "path": "/baton-ping"}
    served = files["pool globex"]["item"]["served"]
    assert re.search(probe["expect"], f"Content-type: text/plain\r\n\r\n{served}")
    assert not re.search(probe["expect"], f"Content-type: text/plain\r\n\r\n{files['pool acme']['item']['served']}")


def test_a_targeted_run_renders_only_its_sites_and_pools_and_keeps_the_others(
    apache: ModuleType, php_fpm: ModuleType
) -> None:
    sites = [
        {**SITE, "name": "acme-shop", "https": "on", "tls_pem": "pem"},
        {**SITE, "name": "acme-blog", "https": "on", "tls_pem": "pem"},
        {**SITE, "name": "beta-www", "account": "beta"},
        {"name": "acme-old", "account": "acme", "state": "absent"},
    ]
    only = ["site:acme-shop pool:acme"]
    files = apache.apache_site_files(sites, "/etc/apache2/baton/sites", "", only)
    assert [f["dest"] for f in files] == ["/etc/apache2/baton/sites/acme-shop.conf"]
    assert [f["dest"] for f in apache.apache_tls_files(sites, "/etc/ssl/baton", [], only)] == [
        "/etc/ssl/baton/acme-shop.pem"
    ]
    kept = apache.apache_kept_files(sites, ["/etc/apache2/baton/sites", "/etc/ssl/baton"], only)
    assert sorted(kept) == [
        "/etc/apache2/baton/sites/acme-blog.conf",
        "/etc/apache2/baton/sites/beta-www.conf",
        "/etc/ssl/baton/acme-blog.pem",
        "/etc/ssl/baton/beta-www.pem",
    ], "an absent site is never kept: its vhost goes"
    assert len(apache.apache_site_files(sites, "/d", "", [])) == 3 and apache.apache_kept_files(sites, ["/d"], []) == []

    pools = [{"name": "acme", "user": "acme", "group": "acme"}, {"name": "beta", "user": "beta", "group": "beta"}]
    files = php_fpm.php_fpm_pool_files(pools, "/etc/php/8.4/fpm/pool.d", "baton-", "", only)
    assert [f["dest"] for f in files] == ["/etc/php/8.4/fpm/pool.d/baton-acme.conf"]
    assert php_fpm.php_fpm_kept_files(pools, "/etc/php/8.4/fpm/pool.d", "baton-", only) == [
        "/etc/php/8.4/fpm/pool.d/baton-beta.conf"
    ]
    assert php_fpm.php_fpm_pool_files(pools, "/p", "baton-", "", ["site:beta-www"]) == [], "no pool of the run"


def test_a_site_serving_https_requires_its_key_file_in_the_same_step(apache: ModuleType) -> None:
    sites = [
        {**SITE, "https": "on", "tls_pem": "pem"},
        {**SITE, "name": "blog", "dir": "blog", "domains": ["b.example"]},
    ]
    keys = apache.apache_tls_files(sites, "/k", ["true"])
    vhosts = {f["label"]: f for f in apache.apache_site_files(sites, "/s", "t")}
    assert [f["label"] for f in keys] == ["certificate of shop"]
    assert vhosts["vhost shop"]["requires"] == ["certificate of shop"] and "requires" not in vhosts["vhost blog"]
