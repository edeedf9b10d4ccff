"""Filters of the users role: the extrausers passwd/group/shadow lines, the authorized_keys files and the account
directories, each computed in one pass over the accounts and users (a thousand users are one task, not a loop)."""

from __future__ import annotations

import re
from typing import Any

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_SCOPE = re.compile(r"web/[a-z0-9][a-z0-9._-]{0,62}")
_HASH = re.compile(r"\$(6|y)\$[A-Za-z0-9./$=,]{8,200}")
_KEY = re.compile(
    r"(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/]+={0,3}"
    r"( [\x21-\x7e]+(?: [\x21-\x7e]+)*)?"
)
# Names a tenant may never take on a server: the role's own floor, since it runs without the panel (which refuses
# more, panel/accounts/validators.py).
_RESERVED = frozenset(
    {
        *("root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "nobody", "_apt"),  # Debian's base
        *("mail", "news", "uucp", "proxy", "www-data", "backup", "list", "irc"),
        *("sshd", "messagebus", "systemd-network", "systemd-resolve", "systemd-timesync"),
        *("bind", "postfix", "dovecot", "dovenull", "vmail", "mysql", "mailman", "redis", "postgres"),  # our daemons
    }
)


def _present(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for item in items if item.get("state", "present") != "absent"]


def users_problems(
    accounts: list[dict[str, Any]], users: list[dict[str, Any]], uid_min: int, uid_max: int, group_names: list[str]
) -> list[str]:
    """What the argument spec cannot express, in one pass: names become passwd keys and paths, uids must stay in
    the tenants' range (never 0, never a daemon's), keys and hashes become whole lines. Never shows a hash."""
    problems: list[str] = []
    seen_accounts: dict[str, int] = {}
    seen_uids: set[int] = set()
    for account in accounts:
        name, uid = str(account.get("name", "")), account.get("uid")
        if not _NAME.fullmatch(name) or name in _RESERVED or name in group_names:
            problems.append(f"account name {name!r} is not a valid tenant user name")
        if not isinstance(uid, int) or not uid_min <= uid <= uid_max:
            problems.append(f"account {name!r}: uid {uid!r} is outside {uid_min}-{uid_max}")
        elif uid in seen_uids:
            problems.append(f"account {name!r}: uid {uid} is used twice")
        if name in seen_accounts:
            problems.append(f"account name {name!r} appears twice")
        if account.get("purge") and account.get("state", "present") != "absent":
            problems.append(f"account {name!r}: only an absent account's home can be removed")
        for site in account.get("sites") or []:
            if not _SCOPE.fullmatch(f"web/{site}"):
                problems.append(f"account {name!r}: site directory {site!r} is not one directory name")
        seen_accounts[name] = uid if isinstance(uid, int) else -1
        seen_uids.add(uid if isinstance(uid, int) else -1)
    seen_users: set[str] = set()
    for user in users:
        name = str(user.get("name", ""))
        if not _NAME.fullmatch(name) or name in _RESERVED or name in group_names:
            problems.append(f"user name {name!r} is not a valid tenant user name")
        if name in seen_users:
            problems.append(f"user name {name!r} appears twice")
        if name in seen_accounts and name != user.get("account"):
            problems.append(f"user name {name!r} is another account's name")
        seen_users.add(name)
        if user.get("state", "present") == "absent":
            continue
        if user.get("account") not in seen_accounts:
            problems.append(f"user {name!r}: its account {user.get('account')!r} is not in users__host_accounts")
        if user.get("access", "sftp") not in ("sftp", "shell"):
            problems.append(f"user {name!r}: access must be sftp or shell")
        scope = str(user.get("scope") or "")
        if scope and not _SCOPE.fullmatch(scope):
            problems.append(f"user {name!r}: scope must be empty or web/<site>")
        if user.get("password_hash") and not _HASH.fullmatch(str(user["password_hash"])):
            problems.append(f"user {name!r}: password_hash must be a $6$ (SHA512-crypt) or $y$ hash")
        for index, key in enumerate(user.get("keys") or []):
            if not _KEY.fullmatch(str(key)):
                problems.append(f"user {name!r}: key {index} is not a single 'type base64 [comment]' line")
    return problems


def _home(base: str, user: dict[str, Any]) -> str:
    scope = str(user.get("scope") or "")
    return f"{base}/{user['account']}" + (f"/{scope}" if scope else "")


def _enabled(user: dict[str, Any], accounts: dict[str, dict[str, Any]]) -> bool:
    account = accounts.get(str(user["account"]), {})
    return bool(user.get("active", True)) and bool(account.get("active", True))


def users_extrausers(
    accounts: list[dict[str, Any]],
    users: list[dict[str, Any]],
    base: str,
    groups: dict[str, Any],
    shell: str,
    nologin: str,
) -> dict[str, list[str]]:
    """The lines of passwd, group and shadow. Every user of an account has the account's uid and group (files
    stay the account's). A user of a disabled account, or a disabled user, keeps its entry (files keep an owner)
    but its password is locked and the account expired, so PAM refuses every login, key logins included."""
    by_name = {str(account["name"]): account for account in _present(accounts)}
    present = sorted((user for user in _present(users) if str(user["account"]) in by_name), key=lambda u: u["name"])
    passwd, shadow = [], []
    members: dict[str, list[str]] = {key: [] for key in ("tenants", "sftp", "shell", "password")}
    for user in present:
        uid = int(by_name[str(user["account"])]["uid"])
        access = user.get("access", "sftp")
        enabled = _enabled(user, by_name)
        passwd.append(
            f"{user['name']}:x:{uid}:{uid}:Baton {user['account']}:{_home(base, user)}:"
            f"{shell if access == 'shell' else nologin}"
        )
        password = str(user.get("password_hash") or "") if enabled else ""
        shadow.append(f"{user['name']}:{password or '!'}:::::::" if enabled else f"{user['name']}:!::::::1:")
        members["tenants"].append(str(user["name"]))
        members[access].append(str(user["name"]))
        if password:
            members["password"].append(str(user["name"]))
    group = [f"{name}:x:{int(account['uid'])}:" for name, account in sorted(by_name.items())]
    group += [f"{groups[key]['name']}:x:{int(groups[key]['gid'])}:{','.join(members[key])}" for key in members]
    return {"passwd": passwd, "group": group, "shadow": shadow}


def users_key_files(users: list[dict[str, Any]], accounts: list[dict[str, Any]], directory: str) -> list[dict]:
    """baton.core.install_files entries of /etc/ssh/authorized_keys/<user>: root-owned (a compromised script of
    the account cannot add a key), read by sshd at each login (no reload). Disabled users have none."""
    by_name = {str(account["name"]): account for account in _present(accounts)}
    return [
        {
            "src": "etc/ssh/authorized_keys/user.j2",
            "dest": f"{directory}/{user['name']}",
            "item": [str(key) for key in user.get("keys") or []],
            "label": f"keys of {user['name']}",
            "unit": f"account:{user['account']}",  # the panel fails the account's users and keys
            "mode": "0644",
        }
        for user in sorted(_present(users), key=lambda u: u["name"])
        if str(user["account"]) in by_name and _enabled(user, by_name) and user.get("keys")
    ]


def users_dirs(accounts: list[dict[str, Any]], users: list[dict[str, Any]], base: str, tenants_gid: int) -> list[dict]:
    """baton.core.ensure_dirs entries: every present account's home (the chroot root: root-owned, other tenants
    denied by ACL, the owner allowed, www-data through "other"), its writable and read-only subdirectories, and
    the directory of every website of the account and of every scoped user's site (root-owned too: it is a
    per-site user's chroot), each with its public/ owned by the account; and the homes of absent accounts marked
    `purge`, to remove."""
    dirs: list[dict[str, Any]] = []
    by_name = {str(account["name"]): account for account in _present(accounts)}
    for name, account in sorted(by_name.items()):
        uid, home, unit = int(account["uid"]), f"{base}/{name}", f"account:{name}"
        dirs += [
            {
                "path": home,
                "uid": 0,
                "gid": 0,
                "mode": "0755",
                "acl": [f"user:{uid}:r-x", f"group:{tenants_gid}:---"],
                "unit": unit,
            },
            {"path": f"{home}/web", "uid": 0, "gid": uid, "mode": "0751", "unit": unit},
            {"path": f"{home}/private", "uid": uid, "gid": uid, "mode": "0700", "unit": unit},
            {"path": f"{home}/tmp", "uid": uid, "gid": uid, "mode": "0700", "unit": unit},
            {"path": f"{home}/logs", "uid": 0, "gid": uid, "mode": "0750", "unit": unit},
        ]
    scopes = {(str(u["account"]), str(u["scope"])) for u in _present(users) if u.get("scope")}
    scopes |= {(name, f"web/{site}") for name, account in by_name.items() for site in account.get("sites") or []}
    for account_name, scope in sorted(scopes):
        if account_name not in by_name:
            continue
        uid, site = int(by_name[account_name]["uid"]), f"{base}/{account_name}/{scope}"
        dirs += [
            {"path": site, "uid": 0, "gid": uid, "mode": "0751", "unit": f"account:{account_name}"},
            {"path": f"{site}/public", "uid": uid, "gid": uid, "mode": "0751", "unit": f"account:{account_name}"},
        ]
    # A deleted account's home, once its grace period is over: removed only while its private/ is still its uid's.
    removed = [
        {
            "path": f"{base}/{account['name']}",
            "uid": int(account["uid"]),
            "state": "absent",
            "owned_path": f"{base}/{account['name']}/private",
            "unit": f"remains:{account['name']}",
        }
        for account in sorted(accounts, key=lambda a: str(a["name"]))
        if account.get("state") == "absent" and account.get("purge")
    ]
    # 0711: tenants (and their PHP) pass through to their own home but cannot list who else lives here.
    return [{"path": base, "uid": 0, "gid": 0, "mode": "0711"}, *dirs, *removed]


def users_disabled_uids(accounts: list[dict[str, Any]]) -> list[str]:
    """The uids of the present accounts that are disabled: every process of theirs is ended."""
    return sorted(str(int(a["uid"])) for a in _present(accounts) if not a.get("active", True))


class FilterModule:
    """users role filters."""

    def filters(self) -> dict[str, object]:
        return {
            "users_problems": users_problems,
            "users_disabled_uids": users_disabled_uids,
            "users_extrausers": users_extrausers,
            "users_key_files": users_key_files,
            "users_dirs": users_dirs,
        }
