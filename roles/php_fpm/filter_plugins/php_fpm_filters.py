"""Filters of the php_fpm role: the pool files and the checks the argument spec cannot express, in one pass."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_USER = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_KEY = re.compile(r"[a-z][a-z0-9_.]{0,63}")
# A value becomes the rest of one ini line: printable, no newline, no ini syntax that would open another.
_VALUE = re.compile(r"[\x20-\x7e]{0,200}")


def _present(pools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [pool for pool in pools if pool.get("state", "present") != "absent"]


def php_fpm_problems(pools: list[dict[str, Any]]) -> list[str]:
    problems, seen = [], set()
    for pool in pools:
        name = str(pool.get("name", ""))
        if not _NAME.fullmatch(name):
            problems.append(f"pool name {name!r} is not valid")
        if name in seen:
            problems.append(f"pool name {name!r} appears twice")
        seen.add(name)
        for field in ("user", "group", "account"):
            if not _USER.fullmatch(str(pool.get(field, ""))):
                problems.append(f"pool {name!r}: {field} {pool.get(field)!r} is not a tenant name")
        for field in ("php_admin_values", "php_values"):
            for key, value in (pool.get(field) or {}).items():
                if not _KEY.fullmatch(str(key)) or not _VALUE.fullmatch(str(value)) or '"' in str(value):
                    problems.append(f"pool {name!r}: {field} {key!r} is not a single ini setting")
    return problems


def _served(pool: dict[str, Any], template_digest: str) -> str:
    """What the pool answers to the run's ping: a digest of everything the pool is made of, so only a master that
    loaded this very pool answers it."""
    data = json.dumps(pool, sort_keys=True, default=str)
    return hashlib.sha256(f"{template_digest}\n{data}".encode()).hexdigest()[:20]


def _selected(pools: list[dict[str, Any]], only: list[str] | None) -> list[dict[str, Any]]:
    """The present pools a run touches: those named `pool:<name>` in `only` (the panel's scopes of a targeted run,
    e.g. "site:alice-shop pool:alice"), or every one when `only` is empty (a full run)."""
    present = sorted(_present(pools), key=lambda p: p["name"])
    if not only:
        return present
    wanted = {token[5:] for scope in only for token in str(scope).split() if token.startswith("pool:")}
    return [pool for pool in present if pool["name"] in wanted]


def php_fpm_kept_files(pools: list[dict[str, Any]], directory: str, prefix: str, only: list[str] | None) -> list[str]:
    """The files of the present pools a targeted run does not touch: never pruned by it."""
    if not only:
        return []
    touched = {pool["name"] for pool in _selected(pools, only)}
    return [f"{directory}/{prefix}{pool['name']}.conf" for pool in _present(pools) if pool["name"] not in touched]


def php_fpm_pool_files(
    pools: list[dict[str, Any]],
    directory: str,
    prefix: str,
    template_digest: str = "",
    only: list[str] | None = None,
) -> list[dict[str, Any]]:
    """baton.core.install_files entries, one per present pool the run touches, with its panel unit."""
    return [
        {
            "src": "etc/php/fpm/pool.d/pool.conf.j2",
            "dest": f"{directory}/{prefix}{pool['name']}.conf",
            "item": {**pool, "served": _served(pool, template_digest)},
            "label": f"pool {pool['name']}",
            "unit": str(pool.get("unit") or f"pool:{pool['name']}"),
            "mode": "0644",
        }
        for pool in _selected(pools, only)
    ]


def php_fpm_serving_probes(
    pools: list[dict[str, Any]], changed: list[str], socket_dir: str, prefix: str, ping: str, template_digest: str = ""
) -> list[dict[str, Any]]:
    """baton.core.await_served probes of the pools this run changed, asked through their sockets as apache asks
    them (the reload re-executes the master and returns before it listens again): each answers its ping with its
    own digest once the new master serves it."""
    went_live = set(changed)
    return [
        {
            "label": f"pool {pool['name']}",
            "unit": str(pool.get("unit") or f"pool:{pool['name']}"),
            "fcgi": {"socket": f"{socket_dir}/{prefix}{pool['name']}.sock", "path": ping},
            "expect": rf"\b{_served(pool, template_digest)}\b",
        }
        for pool in sorted(_present(pools), key=lambda p: p["name"])
        if f"pool {pool['name']}" in went_live
    ]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "php_fpm_problems": php_fpm_problems,
            "php_fpm_pool_files": php_fpm_pool_files,
            "php_fpm_kept_files": php_fpm_kept_files,
            "php_fpm_serving_probes": php_fpm_serving_probes,
        }
