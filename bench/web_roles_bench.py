#!/usr/bin/env python3
"""The websites roles at scale on a real test server, without the panel (its websites are not built yet): --sites
sites over --accounts accounts (users role, one PHP-FPM pool per account, one vhost per site, PHP on every site);
a first converge, a no-op converge, a converge that changes one site, and the time of one apache2ctl -t with every
vhost; one site's change run full and targeted (its vhost and pool only, what the panel runs). Plain
ansible-playbook with a JSON host_vars file. Goals of issue 28: a no-op converge with 1,000 sites <= 30 s, one
site's change -> served p50 <= 2.5 s (the targeted run is most of it).

    .venv/bin/python bench/web_roles_bench.py [--sites 1000] [--accounts 100]
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests import hosts  # noqa: E402

PLAYBOOK = "- name: Web servers\n  hosts: web\n  gather_facts: false\n  roles: [users, php_fpm, apache]\n"


def converge(workdir: Path, env: dict[str, str], label: str, extra: list[str] | None = None) -> float:
    started = time.monotonic()
    done = subprocess.run(
        ["ansible-playbook", "-i", str(workdir / "inventory.json"), str(workdir / "web.yml"), *(extra or [])],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    elapsed = time.monotonic() - started
    if done.returncode:
        raise RuntimeError(f"{label} failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    recap = [line for line in done.stdout.splitlines() if "changed=" in line]
    print(f"{label}: {elapsed:.1f} s ({recap[-1].split(':', 1)[1].split('unreachable')[0].strip()})", flush=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=100)
    args = parser.parse_args()
    accounts = [{"name": f"acct{i:04d}", "uid": 200000 + i} for i in range(args.accounts)]
    users = [{"name": a["name"], "account": a["name"]} for a in accounts]
    pools = [{"name": a["name"], "account": a["name"], "user": a["name"], "group": a["name"]} for a in accounts]
    sites = [
        {
            "name": f"site{i:05d}",
            "account": accounts[i % args.accounts]["name"],
            "dir": f"site{i:05d}",
            "domains": [f"site{i:05d}.bench.test", f"www.site{i:05d}.bench.test"],
            "php_pool": accounts[i % args.accounts]["name"],
        }
        for i in range(args.sites)
    ]
    name = "baton-bench-webroles"
    host = hosts.start(name)
    try:
        with tempfile.TemporaryDirectory(prefix="baton-web-bench-") as tmp:
            workdir = Path(tmp)
            (workdir / "web.yml").write_text(PLAYBOOK)
            connection = {
                "ansible_host": "127.0.0.1",
                "ansible_port": host.ssh_port,
                "ansible_user": "root",
                "ansible_ssh_private_key_file": host.ssh_key,
                "ansible_ssh_common_args": f"-o UserKnownHostsFile={host.known_hosts}",
            }

            def write(sites_now: list[dict[str, object]]) -> None:
                inventory = {"all": {"children": {"web": {"hosts": {"web1": connection}}}}}
                (workdir / "inventory.json").write_text(json.dumps(inventory))
                (workdir / "host_vars").mkdir(exist_ok=True)
                (workdir / "host_vars" / "web1.json").write_text(
                    json.dumps(
                        {
                            "users__host_accounts": accounts,
                            "users__host_users": users,
                            "php_fpm__host_pools": pools,
                            "apache__host_sites": sites_now,
                        }
                    )
                )

            env = {
                **os.environ,
                "ANSIBLE_COLLECTIONS_PATH": f"{REPO / 'collections'}:{REPO}",
                "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
                "ANSIBLE_PIPELINING": "true",
                "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}",
            }
            print(f"{args.sites} sites of {args.accounts} accounts, one PHP-FPM pool per account")
            write(sites)
            converge(workdir, env, "first converge")
            noop = converge(workdir, env, "no-op converge")
            write([{**sites[0], "domains": [*sites[0]["domains"], "alias.bench.test"]}, *sites[1:]])  # type: ignore[list-item]
            full = converge(workdir, env, "one site changed (an alias added), full run")
            # What the panel runs for one site's change: its site's vhost and its account's pool only.
            scope = [f"site:{sites[0]['name']} pool:{sites[0]['account']}"]
            targeted_vars = json.dumps({"apache__host_only": scope, "php_fpm__host_only": scope})
            write([{**sites[0], "domains": [*sites[0]["domains"], "alias2.bench.test"]}, *sites[1:]])  # type: ignore[list-item]
            targeted = converge(
                workdir,
                env,
                "one site changed (another alias), targeted run",
                ["--tags", "php_fpm:pools,apache:sites", "--skip-tags", "always", "-e", targeted_vars],
            )
            started = time.monotonic()
            hosts.podman("exec", host.name, "apache2ctl", "-t")
            print(f"apache2ctl -t with {args.sites} vhosts: {time.monotonic() - started:.2f} s")
            print(f"no-op converge with {args.sites} sites: {noop:.1f} s (goal <= 30 s)")
            print(f"one site's change with {args.sites} sites: full run {full:.1f} s, targeted run {targeted:.1f} s")
    finally:
        hosts.stop(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
