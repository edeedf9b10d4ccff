"""The users service against a real server (no Ansible faked): one account whose home was tampered with (a
directory replaced by a symlink to /etc) fails alone, with that refusal; the role never follows the link, and
another account on the same server converges in the same run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from panel.provisioning import engine
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server
from panel.systemusers.models import SshKey, SystemUser
from panel.systemusers.services import ssh_key_create, system_user_create
from tests import hosts
from tests.factories import make_account
from tests.provisioning.servers import registered
from tests.sshkeys import public_key

pytestmark = pytest.mark.django_db
NAME = "baton-pytest-users"


@pytest.fixture(scope="module")
def testhost() -> Iterator[hosts.TestHost]:
    try:
        yield hosts.start(NAME)
    finally:
        hosts.stop(NAME)


def on_server(host: hosts.TestHost, script: str) -> str:
    return hosts.podman("exec", host.name, "sh", "-c", script).stdout


def test_a_tampered_home_fails_its_account_alone(testhost: hosts.TestHost, settings: object) -> None:
    server: Server = registered(testhost, settings, "web")
    alpha, beta = make_account("alpha"), make_account("beta")
    _, first = system_user_create(account=alpha, name="alpha-dev", access="shell", keys=[public_key()], actor=None)
    system_user_create(account=beta, name="beta-dev", keys=[public_key()], actor=None)
    assert engine.process(server.pk, "users")
    assert ChangeSet.objects.get(pk=first.pk).state == "applied"
    assert set(SystemUser.objects.values_list("apply_state", flat=True)) == {"applied"}
    before = on_server(testhost, "stat -c '%U:%G %a' /etc; getfacl -cp /etc 2>/dev/null | grep -c baton || true")

    on_server(testhost, "cd /srv/baton/alpha && mv private private.old && ln -s /etc private")
    alpha_key, change_set = ssh_key_create(
        system_user=SystemUser.objects.get(name="alpha-dev"), key=public_key(), actor=None
    )
    beta_key, _ = ssh_key_create(system_user=SystemUser.objects.get(name="beta-dev"), key=public_key(), actor=None)
    assert engine.process(server.pk, "users")

    change_set.refresh_from_db()
    assert change_set.state == "partial", change_set.error
    failed = SshKey.objects.get(pk=alpha_key.pk)
    assert failed.apply_state == "failed" and "/srv/baton/alpha/private" in failed.apply_error
    assert "beta" not in failed.apply_error
    assert SshKey.objects.get(pk=beta_key.pk).apply_state == "applied"
    assert SshKey.objects.get(pk=beta_key.pk).line.split()[1] in on_server(
        testhost, "cat /etc/ssh/authorized_keys/beta-dev"
    )
    # the link was never followed: /etc kept its owner, mode and ACL
    assert (
        on_server(testhost, "stat -c '%U:%G %a' /etc; getfacl -cp /etc 2>/dev/null | grep -c baton || true") == before
    )

    on_server(testhost, "cd /srv/baton/alpha && rm private && mv private.old private")
    from panel.provisioning.services import change_set_retry

    retry = change_set_retry(change_set=change_set, actor=None)
    assert engine.process(server.pk, "users")
    retry.refresh_from_db()
    assert retry.state == "applied" and SshKey.objects.get(pk=alpha_key.pk).apply_state == "applied"
