"""The users role's filter plugins, called as Ansible calls them: the extrausers lines, the keys files, the
account directories and the checks made before anything is sent. Molecule runs the same role on a real server
with real SSH and SFTP logins."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROLE = Path(__file__).resolve().parents[2] / "roles" / "users"
GROUPS = {
    "tenants": {"name": "baton-tenants", "gid": 199990},
    "sftp": {"name": "baton-sftp", "gid": 199991},
    "shell": {"name": "baton-shell", "gid": 199992},
    "password": {"name": "baton-password", "gid": 199993},
}
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDnF2a6q0q0mV8d4C3HZrM8xqT7sYbQZx0qTfJ9gk9Vh alice@laptop"
HASH = "$6$salt1234$" + "a" * 86


@pytest.fixture(scope="module")
def filters() -> ModuleType:
    spec = importlib.util.spec_from_file_location("users_filters", ROLE / "filter_plugins" / "users_filters.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ACCOUNTS = [{"name": "acme", "uid": 200001}, {"name": "initech", "uid": 200003, "active": False}]
USERS = [
    {"name": "acme", "account": "acme", "keys": [KEY]},
    {"name": "dev", "account": "acme", "access": "shell", "password_hash": HASH, "keys": [KEY]},
    {"name": "shop", "account": "acme", "scope": "web/shop"},
    {"name": "ivan", "account": "initech", "password_hash": HASH, "keys": [KEY]},
    {"name": "gone", "account": "acme", "state": "absent", "keys": [KEY]},
]


def test_extrausers_lines(filters: ModuleType) -> None:
    lines = filters.users_extrausers(ACCOUNTS, USERS, "/srv/baton", GROUPS, "/bin/bash", "/usr/sbin/nologin")
    assert lines["passwd"] == [
        "acme:x:200001:200001:Baton acme:/srv/baton/acme:/usr/sbin/nologin",
        "dev:x:200001:200001:Baton acme:/srv/baton/acme:/bin/bash",
        "ivan:x:200003:200003:Baton initech:/srv/baton/initech:/usr/sbin/nologin",
        "shop:x:200001:200001:Baton acme:/srv/baton/acme/web/shop:/usr/sbin/nologin",
    ]
    # A disabled account's user keeps its entry, locked and expired; its hash is not rendered.
    assert lines["shadow"] == ["acme:!:::::::", f"dev:{HASH}:::::::", "ivan:!::::::1:", "shop:!:::::::"]
    assert lines["group"] == [
        "acme:x:200001:",
        "initech:x:200003:",
        "baton-tenants:x:199990:acme,dev,ivan,shop",
        "baton-sftp:x:199991:acme,ivan,shop",
        "baton-shell:x:199992:dev",
        "baton-password:x:199993:dev",
    ]


def test_keys_files_only_for_enabled_present_users(filters: ModuleType) -> None:
    files = filters.users_key_files(USERS, ACCOUNTS, "/etc/ssh/authorized_keys")
    assert [(entry["dest"], entry["unit"], entry["item"]) for entry in files] == [
        ("/etc/ssh/authorized_keys/acme", "account:acme", [KEY]),
        ("/etc/ssh/authorized_keys/dev", "account:acme", [KEY]),
    ]


def test_directories(filters: ModuleType) -> None:
    dirs = {entry["path"]: entry for entry in filters.users_dirs(ACCOUNTS, USERS, "/srv/baton", 199990)}
    home = dirs["/srv/baton/acme"]
    assert dirs["/srv/baton"]["mode"] == "0711", "tenants cannot list the other tenants' homes"
    assert (home["uid"], home["gid"], home["mode"], home["acl"]) == (
        0,
        0,
        "0755",
        ["user:200001:r-x", "group:199990:---"],
    )
    assert (dirs["/srv/baton/acme/private"]["uid"], dirs["/srv/baton/acme/private"]["mode"]) == (200001, "0700")
    assert (dirs["/srv/baton/acme/web/shop"]["uid"], dirs["/srv/baton/acme/web/shop/public"]["uid"]) == (0, 200001)
    assert next(iter(dirs)) == "/srv/baton" and "/srv/baton/initech" in dirs


@pytest.mark.parametrize(
    ("accounts", "users", "expected"),
    [
        ([{"name": "root", "uid": 200001}], [], "not a valid tenant user name"),
        ([{"name": "acme", "uid": 0}], [], "outside 200000-299999"),
        ([{"name": "acme", "uid": 1000}], [], "outside"),
        ([{"name": "acme", "uid": 200001}, {"name": "b", "uid": 200001}], [], "used twice"),
        (ACCOUNTS, [{"name": "baton-sftp", "account": "acme"}], "not a valid tenant user name"),
        (ACCOUNTS, [{"name": "a/b", "account": "acme"}], "not a valid tenant user name"),
        (ACCOUNTS, [{"name": "x", "account": "nobody-here"}], "is not in users__host_accounts"),
        (ACCOUNTS, [{"name": "initech", "account": "acme"}], "another account's name"),
        (ACCOUNTS, [{"name": "x", "account": "acme", "scope": "web/../../etc"}], "scope"),
        (ACCOUNTS, [{"name": "x", "account": "acme", "password_hash": "plain"}], "password_hash"),
        (ACCOUNTS, [{"name": "x", "account": "acme", "keys": [f'command="sh" {KEY}']}], "key 0"),
        (ACCOUNTS, [{"name": "x", "account": "acme", "keys": [f"{KEY}\n{KEY}"]}], "key 0"),
    ],
)
def test_problems(filters: ModuleType, accounts: list, users: list, expected: str) -> None:
    names = [group["name"] for group in GROUPS.values()]
    problems = filters.users_problems(accounts, users, 200000, 299999, names)
    assert any(expected in problem for problem in problems), problems
    assert HASH not in " ".join(problems)


def test_no_problems_for_valid_data(filters: ModuleType) -> None:
    names = [group["name"] for group in GROUPS.values()]
    assert filters.users_problems(ACCOUNTS, USERS, 200000, 299999, names) == []


def test_website_directories_come_with_their_account(filters: ModuleType) -> None:
    accounts = [{"name": "acme", "uid": 200001, "sites": ["shop", "blog"]}]
    paths = {entry["path"]: entry for entry in filters.users_dirs(accounts, [], "/srv/baton", 199990)}
    assert paths["/srv/baton/acme/web/shop"]["uid"] == 0 and paths["/srv/baton/acme/web/shop"]["gid"] == 200001
    assert paths["/srv/baton/acme/web/blog/public"]["uid"] == 200001
    bad = [{"name": "acme", "uid": 200001, "sites": ["../bob"]}]
    assert filters.users_problems(bad, [], 200000, 299999, []) == [
        "account 'acme': site directory '../bob' is not one directory name"
    ]


def test_the_disabled_accounts_processes_are_ended(filters: ModuleType) -> None:
    accounts = [
        {"name": "acme", "uid": 200001},
        {"name": "globex", "uid": 200002, "active": False},
        {"name": "gone", "uid": 200003, "active": False, "state": "absent"},
    ]
    assert filters.users_disabled_uids(accounts) == ["200002"]


def test_the_home_of_an_absent_account_marked_purge_is_removed_and_only_then(filters: ModuleType) -> None:
    accounts = [
        {"name": "alice", "uid": 200001},
        {"name": "gone", "uid": 200002, "state": "absent", "purge": True},
        {"name": "kept", "uid": 200003, "state": "absent"},
    ]
    dirs = filters.users_dirs(accounts, [], "/srv/baton", 199990)
    removed = [entry for entry in dirs if entry.get("state") == "absent"]
    assert removed == [
        {
            "path": "/srv/baton/gone",
            "uid": 200002,
            "state": "absent",
            "owned_path": "/srv/baton/gone/private",
            "unit": "remains:gone",
        }
    ]
    assert not [entry for entry in dirs if "kept" in entry["path"]], "an absent account's files stay until purged"
    problems = filters.users_problems([{"name": "alice", "uid": 200001, "purge": True}], [], 200000, 299999, [])
    assert problems == ["account 'alice': only an absent account's home can be removed"]
