"""The users renderer: deterministic, golden-file tested, names, keys and hashes tagged !unsafe, checked against
the users role's argument spec and its own preflight (users_problems), disabled and absent users rendered so the
role refuses their logins."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

from panel.provisioning import hostvars, registry
from panel.provisioning.hostvars.users import AccountData, SystemUserData, UsersServerData, render
from tests.hosts import REPO
from tests.provisioning.specs import role_spec_errors

GOLDEN = Path(__file__).parent / "golden" / "users.json"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd2e3cIbdBLNvXQCILqSVZDv0fWFZnBqV0tDpx9qmlm laptop {{ x }}"
DATA = UsersServerData(
    accounts=(AccountData("shop", 200001, True), AccountData("acme", 200000, False)),
    users=(
        SystemUserData("shop", "shop", "sftp", "", "", (KEY,), True),
        SystemUserData("shop-dev", "shop", "shell", "", "$6$rounds=50000$salt$hash", (KEY,), True),
        SystemUserData("shop-web", "shop", "sftp", "web/blog", "", (), False),
        SystemUserData("acme", "acme", "sftp", "", "$6$salt$hash", (KEY,), True),
        SystemUserData("gone", "shop", "sftp", "", "", (), True, absent=True),
    ),
)


def _filters() -> ModuleType:
    path = REPO / "roles" / "users" / "filter_plugins" / "users_filters.py"
    spec = importlib.util.spec_from_file_location("users_filters", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rendered_vars_match_the_golden_file() -> None:
    text = hostvars.dump(render(DATA))
    if os.environ.get("BATON_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_names_keys_and_hashes_are_unsafe() -> None:
    loaded = hostvars.load(hostvars.dump(render(DATA)))
    dev = next(user for user in loaded["users__host_users"] if user["name"] == "shop-dev")
    assert all(isinstance(dev[key], hostvars.Unsafe) for key in ("name", "account", "password_hash"))
    assert isinstance(dev["keys"][0], hostvars.Unsafe) and dev["keys"][0].endswith("{{ x }}")


def test_sorted_and_absent_users_carry_nothing_but_their_name() -> None:
    rendered = render(DATA)
    assert [a["name"] for a in rendered["users__host_accounts"]] == ["acme", "shop"]
    assert [u["name"] for u in rendered["users__host_users"]] == ["acme", "gone", "shop", "shop-dev", "shop-web"]
    assert rendered["users__host_users"][1] == {"name": "gone", "account": "shop", "state": "absent"}
    account = next(a for a in rendered["users__host_accounts"] if a["name"] == "acme")
    assert account["active"] is False  # a disabled account: the role locks every user of it


def test_rendered_vars_satisfy_the_argument_spec_and_the_roles_preflight() -> None:
    assert registry.get("users").argument_specs == ("users",)
    rendered = render(DATA)
    assert role_spec_errors("users", rendered) == []
    plain = hostvars.load(hostvars.dump(rendered))
    groups = ["baton-tenants", "baton-sftp", "baton-shell", "baton-password"]
    problems = _filters().users_problems(
        plain["users__host_accounts"], plain["users__host_users"], 200000, 299999, groups
    )
    assert problems == []


def test_a_disabled_account_or_user_gets_no_keys_file_and_a_locked_password() -> None:
    plain = hostvars.load(hostvars.dump(render(DATA)))
    filters = _filters()
    files = filters.users_key_files(plain["users__host_users"], plain["users__host_accounts"], "/k")
    assert [entry["dest"] for entry in files] == ["/k/shop", "/k/shop-dev"]
    groups = {
        key: {"name": f"baton-{key}", "gid": 199990 + i}
        for i, key in enumerate(("tenants", "sftp", "shell", "password"))
    }
    lines = filters.users_extrausers(
        plain["users__host_accounts"],
        plain["users__host_users"],
        "/srv/baton",
        groups,
        "/bin/bash",
        "/usr/sbin/nologin",
    )
    assert "acme:!::::::1:" in lines["shadow"]
    assert "shop-web:!::::::1:" in lines["shadow"]
    assert "shop-web:x:200001:200001:Baton shop:/srv/baton/shop/web/blog:/usr/sbin/nologin" in lines["passwd"]
