"""A real test server registered in the panel with a confirmed host key, for the tests that run the engine
against it (no Ansible faked)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from panel.servers.models import Placement, Server
from tests import hosts


def registered(testhost: hosts.TestHost, settings: Any, *roles: str) -> Server:
    """The server placed by default for each of `roles`. Runs happen inside the test's transaction, where the
    lease heartbeat thread could not see the lease: the lease is made long enough not to need it."""
    settings.BATON_SSH_KEY = testhost.ssh_key
    settings.BATON_LEASE_SECONDS = 600
    server = Server.objects.create(
        name=testhost.name,
        address="127.0.0.1",
        ssh_port=testhost.ssh_port,
        roles=list(roles),
        host_key=testhost.host_key,
        host_key_confirmed_at=timezone.now(),
    )
    for role in roles:
        Placement.objects.create(role=role, server=server)
    return server
