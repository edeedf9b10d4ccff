#!/usr/bin/env python3
"""System users through the panel on a real test server (the users role: extrausers, keys files, sshd), in one run:

  1. an SFTP user with an ed25519 key created through the REST API until a key login over SSH (paramiko, the
     published port) succeeds: p50 and p95 over --latency-users;
  2. each of those keys revoked through the API until a new login with it is refused: p50 and p95;
  3. a converge once the server holds --noop-users system users (one account each, each with a key), then a
     no-op converge of the same.
Goals of issue 11: created -> key login p50 <= 1.5 s; revoked -> refused p50 <= 1.5 s; no-op converge with 1,000
system users <= 20 s. The test server exempts the bench's address from sshd's per-source penalties (the refused
logins of step 2 would otherwise get it blocked), as the test settings do.

    .venv/bin/python bench/users_bench.py [--latency-users 20] [--noop-users 1000]
"""

from __future__ import annotations

import argparse
import json
import time

from common import Panel, percentile

from tests.sftp import key_login
from tests.sshkeys import key_pair, public_key

SETUP = """
from panel.accounts.services import account_create, user_create, token_create
account = account_create(handle="bench", name="Bench", actor=None,
                         contacts=[dict(name="B", email="b@bench-elsewhere.org", usages=["emergency"])])
user = user_create(username="bench", password="bench-password-1", account=account, actor=None)
print("KEY", token_create(user=user, name="bench", actor=None)[1])
"""
FILL = """
from panel.accounts.models import Account
from panel.servers.models import Server
from panel.systemusers.models import SshKey, SystemUser, UnixId
from panel.systemusers.validators import parse_public_key
server = Server.objects.get(name="{server}")
keys = {keys}
accounts = Account.objects.bulk_create(Account(handle=f"fill{{i:05d}}", name="Fill") for i in range({count}))
top = max(UnixId.objects.values_list("uid", flat=True))
UnixId.objects.bulk_create(UnixId(account=a, handle=a.handle, uid=top + 1 + i) for i, a in enumerate(accounts))
users = SystemUser.objects.bulk_create(SystemUser(name=a.handle, account=a, server=server, is_main=True,
                                                  apply_state="applied") for a in accounts)
parsed = [parse_public_key(k) for k in keys]
SshKey.objects.bulk_create(SshKey(system_user=u, type=p.type, blob=p.blob, comment=p.comment, bits=p.bits,
                                  fingerprint=p.fingerprint, apply_state="applied") for u, p in zip(users, parsed))
"""
LAST_RUN = """
from panel.provisioning.models import Run
print(round(Run.objects.filter(service="users").latest("started_at").duration, 1))
"""


def wait_for(check: object, label: str, started: float) -> float:
    while not check():  # type: ignore[operator]
        if time.monotonic() - started > 120:
            raise TimeoutError(f"{label} within 120 s")
        time.sleep(0.05)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-users", type=int, default=20)
    parser.add_argument("--noop-users", type=int, default=1000)
    args = parser.parse_args()

    with Panel("baton-bench-web1", ["web"], []) as panel:
        panel.env["BATON_ANSIBLE_EXTRA_VARS"] = json.dumps({"users__penalty_exempt": ["0.0.0.0/0", "::/0"]})
        token = panel.shell(SETUP).split()[-1]
        port = panel.host.ssh_port
        panel.start_processes()
        # The account's own user and the first full run of the role (packages, sshd) are not what is measured.
        first = panel.api(token, "POST", "/api/systemusers/", {"name": "bench"})
        started = time.monotonic()
        wait_for(
            lambda: panel.api(token, "GET", f"/api/systemusers/{first['id']}/")["apply_state"] == "applied",
            "the first user was not applied",
            started,
        )
        print(f"first run of the users role (packages, sshd): {time.monotonic() - started:.1f} s", flush=True)

        created, revoked = [], []
        for i in range(args.latency_users):
            key, public = key_pair(f"lat{i}")
            name = f"bench-lat{i:03d}"
            started = time.monotonic()
            user = panel.api(token, "POST", "/api/systemusers/", {"name": name, "keys": [public]})
            created.append(wait_for(lambda n=name, k=key: key_login(port, n, k), f"{name} could not log in", started))
            [row] = user["ssh_keys"]
            started = time.monotonic()
            panel.api(token, "DELETE", f"/api/systemusers/keys/{row['id']}/")
            revoked.append(wait_for(lambda n=name, k=key: not key_login(port, n, k), f"{name}'s key", started))
        n = args.latency_users
        print(
            f"SFTP user created through the API -> key login works, {n} users: p50 {percentile(created, 0.5):.2f} s, "
            f"p95 {percentile(created, 0.95):.2f} s (goal p50 <= 1.5 s)",
            flush=True,
        )
        print(
            f"key revoked through the API -> login refused, {n} keys: p50 {percentile(revoked, 0.5):.2f} s, "
            f"p95 {percentile(revoked, 0.95):.2f} s (goal p50 <= 1.5 s)",
            flush=True,
        )
        panel.stop_processes()

        fill = max(0, args.noop_users - args.latency_users - 1)
        keys = [public_key(f"fill{i}") for i in range(fill)]
        panel.shell(FILL.format(server=panel.host.name, keys=json.dumps(keys), count=fill))
        started = time.monotonic()
        panel.manage("converge", panel.host.name, "users")
        print(f"converge that adds {fill} accounts with a user and a key each: {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        panel.manage("converge", panel.host.name, "users")
        elapsed = time.monotonic() - started
        ansible = panel.shell(LAST_RUN).split()[-1]
        total = fill + args.latency_users + 1
        print(
            f"no-op converge with {total} system users: {elapsed:.1f} s, of which the Ansible run {ansible} s "
            "(goal <= 20 s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
