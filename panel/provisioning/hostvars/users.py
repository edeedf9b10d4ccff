"""Renderer of the users service: the panel's accounts and system users on one server -> users__host_accounts
and users__host_users. Pure and sorted; customer strings (names, keys, hashes) tagged unsafe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from panel.provisioning.hostvars import unsafe


@dataclass(frozen=True)
class AccountData:
    name: str  # the handle: the account's unix user and group
    uid: int
    active: bool  # false: the account is disabled, every login of its users is refused
    sites: tuple[str, ...] = ()  # its websites' directories under web/
    purge: bool = False  # a deleted account whose home is to be removed (rendered absent)


@dataclass(frozen=True)
class SystemUserData:
    name: str
    account: str
    access: str
    scope: str
    password_hash: str
    keys: tuple[str, ...]  # authorized_keys lines as the panel re-rendered them
    active: bool
    absent: bool = False


@dataclass(frozen=True)
class UsersServerData:
    accounts: tuple[AccountData, ...]
    users: tuple[SystemUserData, ...]
    controller_addresses: tuple[str, ...] = ()  # never penalised by sshd for failed logins


def _user(user: SystemUserData) -> dict[str, Any]:
    if user.absent:
        return {"name": unsafe(user.name), "account": unsafe(user.account), "state": "absent"}
    rendered: dict[str, Any] = {
        "name": unsafe(user.name),
        "account": unsafe(user.account),
        "access": user.access,
        "scope": unsafe(user.scope),
        "keys": [unsafe(key) for key in user.keys],
        "state": "present",
        "active": user.active,
    }
    if user.password_hash:
        rendered["password_hash"] = unsafe(user.password_hash)
    return rendered


def _account(account: AccountData) -> dict[str, Any]:
    if account.purge:
        return {"name": unsafe(account.name), "uid": account.uid, "state": "absent", "purge": True}
    rendered: dict[str, Any] = {"name": unsafe(account.name), "uid": account.uid, "state": "present"}
    rendered["active"] = account.active
    if account.sites:
        rendered["sites"] = [unsafe(site) for site in sorted(account.sites)]
    return rendered


def render(data: UsersServerData) -> dict[str, Any]:
    return {
        "users__host_accounts": [_account(a) for a in sorted(data.accounts, key=lambda a: a.name)],
        "users__host_users": [_user(u) for u in sorted(data.users, key=lambda u: u.name)],
        "users__host_penalty_exempt": sorted(data.controller_addresses),
    }
