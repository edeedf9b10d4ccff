"""docs/roles.md promises the infrastructure team can run a role without the panel: plain ansible-playbook,
a hand-written inventory and host_vars. This runs exactly the documented example against a real server and
asks it over DNS."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import pytest
import yaml

from tests import hosts

REPO = hosts.REPO
EXAMPLE = REPO / "docs" / "examples" / "dns"


@pytest.fixture(scope="module")
def server() -> Iterator[hosts.TestHost]:
    name = "baton-pytest-manual-ns1"
    try:
        yield hosts.start(name, ports=[53])
    finally:
        hosts.stop(name)


def ask(port: int, name: str, rdtype: str) -> list[str]:
    query = dns.message.make_query(name, rdtype)
    response = dns.query.udp(query, "127.0.0.1", port=port, timeout=3)
    return sorted(
        rdata.to_text()
        for rrset in response.answer
        for rdata in rrset
        if rrset.rdtype == dns.rdatatype.from_text(rdtype)
    )


def test_documented_manual_run_serves_the_zone(server: hosts.TestHost, tmp_path: Path) -> None:
    inventory = yaml.safe_load((EXAMPLE / "inventory.yml").read_text())
    ns1 = inventory["all"]["children"]["dns_primary"]["hosts"]["ns1"]
    ns1.update(
        ansible_port=server.ssh_port,
        ansible_ssh_private_key_file=server.ssh_key,
        ansible_ssh_common_args=f"-o UserKnownHostsFile={server.known_hosts}",
    )
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    shutil.copytree(EXAMPLE / "host_vars", tmp_path / "host_vars")
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": f"{REPO / 'collections'}:{REPO}",
        "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}",
    }

    result = subprocess.run(
        ["ansible-playbook", "-i", str(tmp_path / "inventory.yml"), "playbooks/dns.yml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    port = server.ports[53]
    assert ask(port, "example.org.", "SOA")[0].split()[2] == "2026112101"
    assert ask(port, "example.org.", "MX") == ["10 mail.example.org."]
    assert ask(port, "www.example.org.", "CNAME") == ["example.org."]
    assert ask(port, "example.org.", "TXT") == ['"v=spf1 mx -all"']
