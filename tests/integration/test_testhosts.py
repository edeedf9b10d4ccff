"""The test-host tool starts real Debian servers: each with its own SSH host key, reachable only on loopback."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import hosts


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[hosts.TestHost, hosts.TestHost]]:
    names = ("baton-pytest-th1", "baton-pytest-th2")
    try:
        yield hosts.start(names[0], ports=[53]), hosts.start(names[1])
    finally:
        for name in names:
            hosts.stop(name)


def ssh(host: hosts.TestHost, *command: str, known_hosts: str | None = None) -> subprocess.CompletedProcess[str]:
    args = host.ssh_command()
    if known_hosts is not None:
        args[args.index(f"UserKnownHostsFile={host.known_hosts}")] = f"UserKnownHostsFile={known_hosts}"
    return subprocess.run([*args, "-o", "BatchMode=yes", *command], capture_output=True, text=True, timeout=30)


def test_servers_boot_systemd_and_accept_the_project_key(pair: tuple[hosts.TestHost, hosts.TestHost]) -> None:
    first, _ = pair
    result = ssh(first, "systemctl is-system-running --wait; . /etc/os-release; echo $VERSION_CODENAME")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["running", "trixie"]


def test_each_server_has_its_own_host_key_and_pinning_holds(
    pair: tuple[hosts.TestHost, hosts.TestHost], tmp_path: Path
) -> None:
    first, second = pair
    assert first.host_key != second.host_key
    # The second server's key pinned for the first server's address must make SSH refuse to connect.
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"[127.0.0.1]:{first.ssh_port} {second.host_key}\n")
    refused = ssh(first, "true", known_hosts=str(wrong))
    assert refused.returncode != 0
    assert "HOST IDENTIFICATION HAS CHANGED" in refused.stderr or "verification failed" in refused.stderr


def test_ports_are_published_on_loopback_only(pair: tuple[hosts.TestHost, hosts.TestHost]) -> None:
    first, _ = pair
    published = hosts.podman("port", first.name).stdout.split("\n")
    bindings = [line.split(" -> ")[1] for line in published if " -> " in line]
    assert bindings and all(binding.startswith("127.0.0.1:") for binding in bindings)
    assert f"127.0.0.1:{first.ports[53]}" in bindings
