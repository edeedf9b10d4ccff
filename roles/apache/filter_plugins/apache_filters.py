"""Filters of the apache role: the vhost files and the checks the argument spec cannot express, in one pass."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_ACCOUNT = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_POOL = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_HOST = re.compile(r"(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def _present(sites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [site for site in sites if site.get("state", "present") != "absent"]


def apache_problems(sites: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    names: set[str] = set()
    hosts: dict[str, str] = {}
    for site in sites:
        name = str(site.get("name", ""))
        if not _NAME.fullmatch(name) or ".." in name:
            problems.append(f"site name {name!r} is not valid")
        if name in names:
            problems.append(f"site name {name!r} appears twice")
        names.add(name)
        if site.get("state", "present") == "absent":
            continue
        if not _ACCOUNT.fullmatch(str(site.get("account", ""))):
            problems.append(f"site {name!r}: account {site.get('account')!r} is not a tenant name")
        directory = str(site.get("dir", ""))
        if not _NAME.fullmatch(directory) or ".." in directory:
            problems.append(f"site {name!r}: dir {directory!r} is not one directory name")
        if site.get("https", "off") != "off" and "PRIVATE KEY-----" not in str(site.get("tls_pem") or ""):
            problems.append(f"site {name!r}: https needs tls_pem (its key, certificate and chain)")
        if site.get("uid") is not None and (isinstance(site["uid"], bool) or not str(site["uid"]).isdigit()):
            problems.append(f"site {name!r}: uid {site['uid']!r} is not a number")
        if site.get("php_pool") and not _POOL.fullmatch(str(site["php_pool"])):
            problems.append(f"site {name!r}: php_pool {site['php_pool']!r} is not a pool name")
        domains = site.get("domains") or []
        if not domains:
            problems.append(f"site {name!r} has no domain")
        for domain in domains:
            if not _HOST.fullmatch(str(domain)):
                problems.append(f"site {name!r}: {domain!r} is not a host name")
            elif hosts.setdefault(str(domain), name) != name:
                problems.append(f"site {name!r}: {domain!r} is also a domain of site {hosts[str(domain)]!r}")
    return problems


def _served(site: dict[str, Any], template_digest: str) -> str:
    """What the vhost answers to the run's own probe (from loopback only): a digest of everything the vhost is
    made of (its data, its key and certificate, the template), so only the generation that loaded this very
    vhost answers it."""
    data = json.dumps(site, sort_keys=True, default=str)
    return hashlib.sha256(f"{template_digest}\n{data}".encode()).hexdigest()[:20]


def _selected(sites: list[dict[str, Any]], only: list[str] | None) -> list[dict[str, Any]]:
    """The present sites a run touches: those named `site:<name>` in `only` (the panel's scopes of a targeted run,
    e.g. "site:alice-shop pool:alice"), or every one when `only` is empty (a full run)."""
    present = sorted(_present(sites), key=lambda s: s["name"])
    if not only:
        return present
    wanted = {token[5:] for scope in only for token in str(scope).split() if token.startswith("site:")}
    return [site for site in present if site["name"] in wanted]


def apache_kept_files(sites: list[dict[str, Any]], directories: list[str], only: list[str] | None) -> list[str]:
    """The files of the present sites a targeted run does not touch (vhost and key): never pruned by it."""
    if not only:
        return []
    touched = {site["name"] for site in _selected(sites, only)}
    return [
        f"{directory}/{site['name']}{suffix}"
        for site in _present(sites)
        if site["name"] not in touched
        for directory, suffix in zip(directories, (".conf", ".pem"), strict=False)
    ]


def apache_site_files(
    sites: list[dict[str, Any]], directory: str, template_digest: str = "", only: list[str] | None = None
) -> list[dict[str, Any]]:
    """baton.core.install_files entries, one vhost per present site the run touches, with its panel unit; a site
    serving HTTPS requires its key file (apache_tls_files, earlier in the same step): refused with it."""
    return [
        {
            "src": "etc/apache2/baton/sites/site.conf.j2",
            "dest": f"{directory}/{site['name']}.conf",
            "item": {**site, "served": _served(site, template_digest)},
            "label": f"vhost {site['name']}",
            "unit": _unit(site),
            "mode": "0644",
            **({"requires": [_tls_label(site)]} if _serves_tls(site) else {}),
        }
        for site in _selected(sites, only)
    ]


def _serves_tls(site: dict[str, Any]) -> bool:
    return site.get("https", "off") != "off" and bool(site.get("tls_pem"))


def _tls_label(site: dict[str, Any]) -> str:
    return f"certificate of {site['name']}"


def apache_site_dirs(sites: list[dict[str, Any]], base_dir: str, only: list[str] | None = None) -> list[dict[str, Any]]:
    """The directories of the sites the run touches (as the users role makes them, which keeps them): made by the
    vhost step when missing, so a new site of an account whose user exists needs no users run first."""
    dirs: list[dict[str, Any]] = []
    for site in _selected(sites, only):
        if site.get("uid") is None:
            continue
        uid, root = int(site["uid"]), f"{base_dir}/{site['account']}/web/{site['dir']}"
        dirs += [
            {"path": root, "uid": 0, "gid": uid, "mode": "0751"},
            {"path": f"{root}/public", "uid": uid, "gid": uid, "mode": "0751"},
        ]
    return dirs


def _unit(site: dict[str, Any]) -> str:
    return str(site.get("unit") or f"site:{site['name']}")


def apache_tls_files(
    sites: list[dict[str, Any]], directory: str, validate: list[str], only: list[str] | None = None
) -> list[dict[str, Any]]:
    """baton.core.install_files entries of the sites' key + certificate files: secret (never in a diff), 0600,
    each checked by `validate` before it goes live."""
    return [
        {
            "src": "etc/ssl/baton/site.pem.j2",
            "dest": f"{directory}/{site['name']}.pem",
            "item": {"tls_pem": site["tls_pem"]},
            "label": _tls_label(site),
            "unit": str(site.get("unit") or f"site:{site['name']}"),
            "mode": "0600",
            "secret": True,
            "validate": validate,
        }
        for site in _selected(sites, only)
        if _serves_tls(site)
    ]


def apache_serving_probes(
    sites: list[dict[str, Any]],
    changed: list[str],
    pruned: list[str],
    port: int,
    template_digest: str = "",
    tls_port: int = 443,
    sites_dir: str = "",
    canaries: int = 3,
) -> list[dict[str, Any]]:
    """baton.core.await_served probes, asked with the site's own name after the graceful reload (which returns
    before the new generation of children serves): a changed vhost answers with its new digest over HTTP, and over
    HTTPS with its name as SNI when it serves HTTPS; a removed one no longer answers with its own name. With them,
    canaries: unchanged sites (the first whose live vhost is the converged one is asked) that must still answer,
    or the reload broke something beyond this run's sites."""
    went_live, removed = set(changed), {path.rsplit("/", 1)[-1].removesuffix(".conf") for path in pruned}
    probes: list[dict[str, Any]] = []
    unchanged = []
    for site in sorted(sites, key=lambda s: s["name"]):
        name, domains = str(site["name"]), site.get("domains") or []
        if not domains:
            continue
        unit = str(site.get("unit") or f"site:{name}")
        if site.get("state", "present") == "absent":
            if name in removed:
                gone = rf"(?m)\A(?![\s\S]*^X-Baton-Site: {re.escape(name)} )"
                probes.append({"label": f"vhost {name}", "unit": unit, "http": {"port": port, "host": str(domains[0])},
                               "expect": gone})  # fmt: skip
        elif f"vhost {name}" in went_live:
            probes += _site_probes(site, {"unit": unit}, port, tls_port, template_digest)
        else:
            unchanged.append(site)
    if not probes or not sites_dir:
        return probes
    for site in unchanged[:canaries]:
        name = str(site["name"])
        header = f'X-Baton-Site "{name} {_served(site, template_digest)}"'
        converged = {"path": f"{sites_dir}/{name}.conf", "text": header}
        probes += _site_probes(site, {"canary": name, "if_contains": converged}, port, tls_port, template_digest)
    return probes


def _site_probes(
    site: dict[str, Any], extra: dict[str, Any], port: int, tls_port: int, template_digest: str
) -> list[dict[str, Any]]:
    name, host = str(site["name"]), str(site["domains"][0])
    expect = rf"(?m)^X-Baton-Site: {re.escape(name)} {_served(site, template_digest)}$"
    probes = [{"label": f"vhost {name}", "http": {"port": port, "host": host}, "expect": expect, **extra}]
    if site.get("https", "off") != "off":
        probes.append({"label": f"vhost {name} (https)", "https": {"port": tls_port, "host": host}, "expect": expect,
                       **extra})  # fmt: skip
    return probes


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "apache_problems": apache_problems,
            "apache_site_files": apache_site_files,
            "apache_site_dirs": apache_site_dirs,
            "apache_kept_files": apache_kept_files,
            "apache_tls_files": apache_tls_files,
            "apache_serving_probes": apache_serving_probes,
        }
