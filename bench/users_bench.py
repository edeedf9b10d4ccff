#!/usr/bin/env python3
"""The users role at scale on a real test server, without the panel (its system users are not built yet):
--accounts accounts, each with its own SFTP user and an ed25519 key, plus --extra shell users; a first converge,
a no-op converge, and a converge that revokes one key. Plain ansible-playbook with a JSON host_vars file (the
panel's runs read their vars through baton.core.panel_vars, which is faster). Goal of issue 11: a no-op converge
with 1,000 system users <= 20 s.

    .venv/bin/python bench/users_bench.py [--accounts 1000] [--extra 100]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests import hosts  # noqa: E402

PLAYBOOK = "- name: Tenant users\n  hosts: web\n  gather_facts: false\n  roles: [users]\n"


def public_key(comment: str) -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    raw = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{raw} {comment}"


def converge(workdir: Path, env: dict[str, str], label: str) -> float:
    started = time.monotonic()
    done = subprocess.run(
        ["ansible-playbook", "-i", str(workdir / "inventory.json"), str(workdir / "users.yml")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    elapsed = time.monotonic() - started
    if done.returncode:
        raise RuntimeError(f"{label} failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    recap = [line for line in done.stdout.splitlines() if "changed=" in line]
    print(f"{label}: {elapsed:.1f} s ({recap[-1].split(':', 1)[1].split('unreachable')[0].strip()})", flush=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--extra", type=int, default=100)
    args = parser.parse_args()
    accounts = [{"name": f"acct{i:05d}", "uid": 200000 + i} for i in range(args.accounts)]
    users = [{"name": a["name"], "account": a["name"], "keys": [public_key(a["name"])]} for a in accounts]
    users += [
        {
            "name": f"dev{i:05d}",
            "account": accounts[i % args.accounts]["name"],
            "access": "shell",
            "keys": [public_key(f"dev{i}")],
        }
        for i in range(args.extra)
    ]
    name = "baton-bench-users"
    host = hosts.start(name)
    try:
        with tempfile.TemporaryDirectory(prefix="baton-users-bench-") as tmp:
            workdir = Path(tmp)
            (workdir / "users.yml").write_text(PLAYBOOK)
            connection = {
                "ansible_host": "127.0.0.1",
                "ansible_port": host.ssh_port,
                "ansible_user": "root",
                "ansible_ssh_private_key_file": host.ssh_key,
                "ansible_ssh_common_args": f"-o UserKnownHostsFile={host.known_hosts}",
            }

            def write(users_now: list[dict[str, object]]) -> None:
                inventory = {"all": {"children": {"web": {"hosts": {"web1": connection}}}}}
                (workdir / "inventory.json").write_text(json.dumps(inventory))
                (workdir / "host_vars").mkdir(exist_ok=True)
                (workdir / "host_vars" / "web1.json").write_text(
                    json.dumps({"users__host_accounts": accounts, "users__host_users": users_now})
                )

            env = {
                **os.environ,
                "ANSIBLE_COLLECTIONS_PATH": f"{REPO / 'collections'}:{REPO}",
                "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
                "ANSIBLE_PIPELINING": "true",
                "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}",
            }
            total = len(users)
            print(f"{args.accounts} accounts, {total} system users ({args.extra} extra shell users), one key each")
            write(users)
            converge(workdir, env, "first converge")
            noop = converge(workdir, env, "no-op converge")
            write([{**users[0], "keys": []}, *users[1:]])
            converge(workdir, env, "one key revoked")
            print(f"no-op converge with {total} system users: {noop:.1f} s (goal <= 20 s)")
    finally:
        hosts.stop(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
