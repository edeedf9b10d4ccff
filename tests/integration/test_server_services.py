from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from panel.accounts.models import Account, User
from panel.core.errors import Conflict, Forbidden, ValidationFailed
from panel.core.models import ObjectChange
from panel.servers.choices import ServerRole
from panel.servers.hostkeys import HostKeyUnreadable, fingerprint, scan_host_key
from panel.servers.models import Placement, Server
from panel.servers.selectors import dns_secondaries, server_for, server_list, servers_with_role
from panel.servers.services import (
    placement_delete,
    placement_set,
    server_confirm_host_key,
    server_deactivate,
    server_register,
    server_rescan_host_key,
    server_update,
)
from tests import hosts
from tests.factories import make_account

pytestmark = pytest.mark.django_db

ED25519_BLOB = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode()
KEY = f"ssh-ed25519 {ED25519_BLOB}"
OTHER_KEY = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(32)).decode()
RSA_AS_ED25519 = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x01\x01").decode()


def register(actor: User | None, **overrides: Any) -> Server:
    data: dict[str, Any] = {
        "name": "ns1",
        "address": "192.0.2.10",
        "roles": [ServerRole.DNS_PRIMARY],
        "host_key": KEY,
    }
    return server_register(actor=actor, **{**data, **overrides})


def test_register_with_explicit_host_key_stores_it_unconfirmed_and_audits(staff: User) -> None:
    server = register(staff, host_key=f"  {KEY} root@ns1\n", roles=["mail", "dns-primary"])
    server.refresh_from_db()
    assert server.host_key == KEY  # the comment and surrounding whitespace are dropped
    assert server.host_key_confirmed_at is None
    assert server.roles == ["dns-primary", "mail"]
    assert (server.ssh_port, server.ssh_user, server.service_address) == (22, "root", None)
    change = ObjectChange.objects.get(action="create", object_id=str(server.pk), content_type__model="server")
    assert change.actor == staff
    assert change.after is not None and change.after["host_key"] == KEY


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "Ns1"}, "name"),
        ({"name": "ns_1"}, "name"),
        ({"name": "-ns1"}, "name"),
        ({"name": "ns1."}, "name"),
        ({"name": "n" * 64}, "name"),
        ({"name": ""}, "name"),
        ({"address": "ns1 .example.net"}, "address"),
        ({"address": "ns1.example.net\nProxyCommand x"}, "address"),
        ({"address": "192.0.2.1\n"}, "address"),
        ({"address": "-oProxyCommand=x"}, "address"),
        ({"address": "999.1.1.1"}, "address"),
        ({"address": "fe80::1%eth0"}, "address"),
        ({"address": ""}, "address"),
        ({"ssh_port": 0}, "ssh_port"),
        ({"ssh_port": 70000}, "ssh_port"),
        ({"ssh_user": "Root"}, "ssh_user"),
        ({"ssh_user": "root user"}, "ssh_user"),
        ({"roles": ["ftp"]}, "roles"),
        ({"roles": ["mail", "mail"]}, "roles"),
        ({"roles": "mail"}, "roles"),
        ({"service_address": "ns1.example.net"}, "service_address"),
        ({"host_key": "ssh-dss AAAAB3NzaC1kc3MAAACBAP"}, "host_key"),
        ({"host_key": "ssh-ed25519 not*base64"}, "host_key"),
        ({"host_key": f"{KEY}\n{OTHER_KEY}"}, "host_key"),
        ({"host_key": RSA_AS_ED25519}, "host_key"),
    ],
)
def test_bad_input_is_refused_naming_the_field(staff: User, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        register(staff, **overrides)
    assert field in excinfo.value.fields, excinfo.value.fields
    assert not Server.objects.exists()


def test_good_addresses_and_users_are_accepted(staff: User) -> None:
    register(staff, name="a", address="2001:db8::1", ssh_port=2222, ssh_user="_deploy")
    register(staff, name="b.example.net", address="ns1.Example.net")
    register(staff, name="c", address="localhost", ssh_port=65535, roles=[])


def test_duplicate_name_is_refused(staff: User) -> None:
    register(staff)
    with pytest.raises(ValidationFailed) as excinfo:
        register(staff, address="192.0.2.11")
    assert "name" in excinfo.value.fields


def test_customers_may_not_touch_servers(staff: User, account_a: Account) -> None:
    from tests.factories import make_customer

    customer = make_customer(account_a)
    with pytest.raises(Forbidden):
        register(customer)
    server = register(staff)
    for call in (
        lambda: server_update(server=server, name="evil", actor=customer),
        lambda: server_deactivate(server=server, actor=customer),
        lambda: server_confirm_host_key(server=server, fingerprint=fingerprint(KEY), actor=customer),
        lambda: server_rescan_host_key(server=server, actor=customer),
        lambda: placement_set(role=ServerRole.DNS_PRIMARY, server=server, actor=customer),
    ):
        with pytest.raises(Forbidden):
            call()
    placement = placement_set(role=ServerRole.DNS_PRIMARY, server=server, actor=staff)
    with pytest.raises(Forbidden):
        placement_delete(placement=placement, actor=customer)
    server.refresh_from_db()
    assert server.name == "ns1" and server.is_active and server.host_key_confirmed_at is None
    assert Placement.objects.count() == 1
    assert not server_list(actor=customer).exists()
    assert list(server_list(actor=staff)) == [server]


def test_fingerprint_matches_ssh_keygen() -> None:
    listed = subprocess.run(["ssh-keygen", "-lf", "-"], input=KEY, capture_output=True, text=True, check=True)
    assert listed.stdout.split()[1] == fingerprint(KEY)


def test_confirm_host_key_needs_the_right_fingerprint(staff: User) -> None:
    server = register(staff)
    with pytest.raises(Conflict) as excinfo:
        server_confirm_host_key(server=server, fingerprint=fingerprint(OTHER_KEY), actor=staff)
    assert list(excinfo.value.fields) == ["fingerprint"]
    server.refresh_from_db()
    assert server.host_key_confirmed_at is None

    confirmed = server_confirm_host_key(server=server, fingerprint=fingerprint(KEY), actor=staff)
    assert confirmed.host_key_confirmed_at is not None and confirmed.host_key_confirmed_by == staff
    changes = ObjectChange.objects.filter(action="update", object_id=str(server.pk), content_type__model="server")
    assert changes.count() == 1
    assert changes.get().diff()["host_key_confirmed_at"][0] is None
    # Confirming again is harmless and writes nothing.
    server_confirm_host_key(server=server, fingerprint=fingerprint(KEY), actor=staff)
    assert changes.count() == 1


def test_update_changes_fields_but_never_the_host_key(staff: User) -> None:
    server = register(staff)
    server_confirm_host_key(server=server, fingerprint=fingerprint(KEY), actor=staff)
    updated = server_update(
        server=server,
        actor=staff,
        name="ns1.example.net",
        address="ns1.example.net",
        ssh_port=2222,
        roles=["dns-secondary", "dns-primary"],
        service_address="192.0.2.53",
        host_key=KEY,  # unchanged: accepted (a full PUT sends it back)
    )
    assert updated.roles == ["dns-primary", "dns-secondary"]
    assert updated.host_key_confirmed_at is not None
    with pytest.raises(ValidationFailed) as excinfo:
        server_update(server=server, host_key=OTHER_KEY, actor=staff)
    assert list(excinfo.value.fields) == ["host_key"]
    with pytest.raises(ValidationFailed) as excinfo:
        server_update(server=server, ssh_port=0, actor=staff)
    assert list(excinfo.value.fields) == ["ssh_port"]
    server.refresh_from_db()
    assert server.ssh_port == 2222
    deactivated = server_deactivate(server=server, actor=staff)
    assert not deactivated.is_active
    assert ObjectChange.objects.filter(action="update", content_type__model="server").count() == 3


# Placement -----------------------------------------------------------------------------------------------


@pytest.fixture
def dns(staff: User) -> tuple[Server, Server]:
    first = register(staff, name="ns1", roles=[ServerRole.DNS_PRIMARY])
    second = register(staff, name="ns2", address="192.0.2.11", roles=[ServerRole.DNS_PRIMARY, ServerRole.DNS_SECONDARY])
    return first, second


def test_placement_needs_an_active_server_with_the_role(staff: User, dns: tuple[Server, Server]) -> None:
    first, _ = dns
    mail = register(staff, name="mx1", address="192.0.2.25", roles=[ServerRole.MAIL])
    with pytest.raises(ValidationFailed) as excinfo:
        placement_set(role=ServerRole.DNS_PRIMARY, server=mail, actor=staff)
    assert list(excinfo.value.fields) == ["server"]
    server_deactivate(server=first, actor=staff)
    with pytest.raises(ValidationFailed) as excinfo:
        placement_set(role=ServerRole.DNS_PRIMARY, server=first, actor=staff)
    assert list(excinfo.value.fields) == ["server"]
    with pytest.raises(ValidationFailed) as excinfo:
        placement_set(role="ftp", server=first, actor=staff)
    assert list(excinfo.value.fields) == ["role"]
    assert not Placement.objects.exists()


def test_server_for_prefers_the_account_override(staff: User, account_a: Account, dns: tuple[Server, Server]) -> None:
    first, second = dns
    account_b = make_account("bob")
    assert server_for(account=account_a, role=ServerRole.DNS_PRIMARY) is None

    default = placement_set(role=ServerRole.DNS_PRIMARY, server=first, actor=staff)
    assert server_for(account=account_a, role=ServerRole.DNS_PRIMARY) == first
    assert server_for(account=account_a, role=ServerRole.MAIL) is None

    override = placement_set(role=ServerRole.DNS_PRIMARY, server=second, account=account_a, actor=staff)
    assert server_for(account=account_a, role=ServerRole.DNS_PRIMARY) == second
    assert server_for(account=account_b, role=ServerRole.DNS_PRIMARY) == first

    # Setting again moves the existing placement instead of adding one.
    moved = placement_set(role=ServerRole.DNS_PRIMARY, server=first, account=account_a, actor=staff)
    assert moved.pk == override.pk and Placement.objects.count() == 2
    audit = ObjectChange.objects.filter(content_type__model="placement")
    assert sorted(audit.values_list("action", flat=True)) == ["create", "create", "update"]

    # An override whose server went inactive does not fall back to the default: nothing moves silently.
    placement_set(role=ServerRole.DNS_PRIMARY, server=second, account=account_a, actor=staff)
    server_deactivate(server=second, actor=staff)
    assert server_for(account=account_a, role=ServerRole.DNS_PRIMARY) is None
    assert server_for(account=account_b, role=ServerRole.DNS_PRIMARY) == first

    placement_delete(placement=default, actor=staff)
    assert server_for(account=account_b, role=ServerRole.DNS_PRIMARY) is None
    assert audit.filter(action="delete").count() == 1


def test_servers_with_role_and_dns_secondaries(staff: User, dns: tuple[Server, Server]) -> None:
    first, second = dns
    assert servers_with_role(ServerRole.DNS_PRIMARY) == [first, second]
    assert dns_secondaries() == [second]
    server_deactivate(server=second, actor=staff)
    assert dns_secondaries() == []
    assert servers_with_role(ServerRole.WEB) == []


# A real server -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def testhost() -> Iterator[hosts.TestHost]:
    name = "baton-pytest-keyscan"
    try:
        yield hosts.start(name)
    finally:
        hosts.stop(name)


def test_scan_reads_the_real_servers_host_key(testhost: hosts.TestHost) -> None:
    assert scan_host_key("127.0.0.1", testhost.ssh_port) == testhost.host_key


def test_register_without_host_key_reads_it_unconfirmed(staff: User, testhost: hosts.TestHost) -> None:
    server = register(staff, address="127.0.0.1", ssh_port=testhost.ssh_port, host_key=None)
    server.refresh_from_db()
    assert server.host_key == testhost.host_key
    assert server.host_key_confirmed_at is None
    server_confirm_host_key(server=server, fingerprint=fingerprint(testhost.host_key), actor=staff)

    # Rescanning the same server keeps the confirmation ...
    server = server_rescan_host_key(server=server, actor=staff)
    assert server.host_key == testhost.host_key and server.host_key_confirmed_at is not None


def test_a_changed_host_key_must_be_confirmed_again(staff: User, testhost: hosts.TestHost) -> None:
    server = register(staff, address="127.0.0.1", ssh_port=testhost.ssh_port, host_key=OTHER_KEY)
    server_confirm_host_key(server=server, fingerprint=fingerprint(OTHER_KEY), actor=staff)
    rescanned = server_rescan_host_key(server=server, actor=staff)
    assert rescanned.host_key == testhost.host_key
    assert rescanned.host_key_confirmed_at is None and rescanned.host_key_confirmed_by is None
    # The fingerprint staff compared before the change no longer confirms anything.
    with pytest.raises(Conflict):
        server_confirm_host_key(server=server, fingerprint=fingerprint(OTHER_KEY), actor=staff)


def test_scan_of_a_closed_port_fails_clearly() -> None:
    port = hosts.free_port()
    with pytest.raises(HostKeyUnreadable) as excinfo:
        scan_host_key("127.0.0.1", port, timeout=2)
    assert f"127.0.0.1:{port}" in excinfo.value.message
    assert list(excinfo.value.fields) == ["host_key"]


def test_register_fails_without_a_readable_key(staff: User) -> None:
    with pytest.raises(HostKeyUnreadable):
        register(staff, address="127.0.0.1", ssh_port=hosts.free_port(), host_key=None)
    assert not Server.objects.exists()


@pytest.mark.parametrize(
    ("address", "port", "field"), [("-oProxyCommand=x", 22, "address"), ("127.0.0.1", 0, "ssh_port")]
)
def test_scan_refuses_bad_targets_before_running_anything(address: str, port: int, field: str) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        scan_host_key(address, port)
    assert list(excinfo.value.fields) == [field]
