from __future__ import annotations

import base64
from typing import Any

import pytest
from rest_framework.test import APIClient

from panel.accounts.models import Account, User
from panel.core.models import ObjectChange
from panel.servers.hostkeys import fingerprint
from panel.servers.models import Placement, Server
from panel.servers.services import placement_set, server_register

pytestmark = pytest.mark.django_db

KEY = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode()
OTHER_KEY = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(32)).decode()
# Always with a host key: a registration without one would scan the address, and tests scan 127.0.0.1 only.
BODY = {"name": "ns1", "address": "192.0.2.10", "roles": ["dns-primary"], "host_key": KEY}


@pytest.fixture
def server(staff: User) -> Server:
    return server_register(name="ns2", address="192.0.2.11", roles=["dns-primary", "mail"], host_key=KEY, actor=staff)


@pytest.fixture
def placement(staff: User, server: Server) -> Placement:
    return placement_set(role="dns-primary", server=server, actor=staff)


def test_staff_registers_lists_and_updates_servers(staff_client: APIClient) -> None:
    response = staff_client.post("/api/servers/", BODY, format="json")
    assert response.status_code == 201, response.data
    data = response.data
    assert data["host_key"] == KEY
    assert data["host_key_fingerprint"] == fingerprint(KEY)
    assert data["host_key_confirmed_at"] is None
    assert (data["ssh_port"], data["ssh_user"], data["service_address"], data["is_active"]) == (22, "root", None, True)
    server_id = data["id"]

    listed = staff_client.get("/api/servers/")
    assert listed.status_code == 200 and [row["name"] for row in listed.data["results"]] == ["ns1"]

    response = staff_client.patch(
        f"/api/servers/{server_id}/", {"ssh_port": 2222, "roles": ["mail", "dns-primary"]}, format="json"
    )
    assert response.status_code == 200, response.data
    assert response.data["ssh_port"] == 2222 and response.data["roles"] == ["dns-primary", "mail"]

    full = {**BODY, "address": "ns1.example.net", "service_address": "192.0.2.53"}
    response = staff_client.put(f"/api/servers/{server_id}/", full, format="json")
    assert response.status_code == 200, response.data
    assert response.data["address"] == "ns1.example.net"

    response = staff_client.patch(f"/api/servers/{server_id}/", {"is_active": False}, format="json")
    assert response.status_code == 200 and response.data["is_active"] is False
    assert staff_client.get(f"/api/servers/{server_id}/").data["is_active"] is False
    assert ObjectChange.objects.filter(content_type__model="server", object_id=str(server_id)).count() == 4


def test_servers_are_never_deleted(staff_client: APIClient, server: Server) -> None:
    response = staff_client.delete(f"/api/servers/{server.pk}/")
    assert response.status_code == 405
    assert Server.objects.filter(pk=server.pk).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "NS1"}, "name"),
        ({"name": "ns 1"}, "name"),
        ({"address": "ns1.example.net\n-oProxyCommand=x"}, "address"),
        ({"address": "has space"}, "address"),
        ({"ssh_port": 0}, "ssh_port"),
        ({"ssh_port": 70000}, "ssh_port"),
        ({"ssh_user": "root;rm"}, "ssh_user"),
        ({"roles": ["ftp"]}, "roles.0"),
        ({"roles": ["mail", "mail"]}, "roles"),
        ({"service_address": "not-an-ip"}, "service_address"),
        ({"host_key": "ssh-ed25519 AAAA\nssh-rsa AAAA"}, "host_key"),
        ({"host_key": "ssh-dss AAAAB3NzaC1kc3MAAACBAP"}, "host_key"),
    ],
)
def test_bad_server_input_is_400_naming_the_field(staff_client: APIClient, payload: dict[str, Any], field: str) -> None:
    response = staff_client.post("/api/servers/", {**BODY, **payload}, format="json")
    assert response.status_code == 400, response.data
    assert field in response.data["fields"], response.data
    assert response.data["detail"]
    assert not Server.objects.exists()


def test_duplicate_name_is_400(staff_client: APIClient, server: Server) -> None:
    response = staff_client.post("/api/servers/", {**BODY, "name": server.name}, format="json")
    assert response.status_code == 400 and "name" in response.data["fields"]


def test_host_key_changes_only_by_rescan(staff_client: APIClient, server: Server) -> None:
    response = staff_client.patch(f"/api/servers/{server.pk}/", {"host_key": OTHER_KEY}, format="json")
    assert response.status_code == 400 and list(response.data["fields"]) == ["host_key"]
    server.refresh_from_db()
    assert server.host_key == KEY


def test_confirm_flow(staff_client: APIClient, server: Server) -> None:
    url = f"/api/servers/{server.pk}/confirm-host-key/"
    shown = staff_client.get(f"/api/servers/{server.pk}/").data["host_key_fingerprint"]

    response = staff_client.post(url, {"fingerprint": fingerprint(OTHER_KEY)}, format="json")
    assert response.status_code == 409
    assert response.data["code"] == "fingerprint_mismatch" and list(response.data["fields"]) == ["fingerprint"]
    response = staff_client.post(url, {}, format="json")
    assert response.status_code == 400 and "fingerprint" in response.data["fields"]
    server.refresh_from_db()
    assert server.host_key_confirmed_at is None

    response = staff_client.post(url, {"fingerprint": shown}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["host_key_confirmed_at"] is not None
    assert response.data["host_key_confirmed_by"] == "staff"


def test_rescan_of_an_unreachable_server_is_400(staff_client: APIClient, staff: User) -> None:
    from tests.hosts import free_port

    server = server_register(
        name="gone", address="127.0.0.1", ssh_port=free_port(), roles=[], host_key=KEY, actor=staff
    )
    response = staff_client.post(f"/api/servers/{server.pk}/rescan-host-key/")
    assert response.status_code == 400
    assert response.data["code"] == "host_key_unreadable" and "host_key" in response.data["fields"]
    server.refresh_from_db()
    assert server.host_key == KEY


def test_staff_manages_placements(staff_client: APIClient, server: Server, account_a: Account) -> None:
    response = staff_client.post("/api/placements/", {"role": "dns-primary", "server": server.pk}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["account"] is None and response.data["server_name"] == server.name
    body = {"role": "mail", "server": server.pk, "account": account_a.pk}
    response = staff_client.post("/api/placements/", body, format="json")
    assert response.status_code == 201, response.data
    # Setting the same (role, account) again moves it rather than failing.
    again = staff_client.post("/api/placements/", body, format="json")
    assert again.status_code == 201 and again.data["id"] == response.data["id"]
    assert staff_client.get("/api/placements/").data["count"] == 2

    response = staff_client.delete(f"/api/placements/{response.data['id']}/")
    assert response.status_code == 204
    assert Placement.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"role": "web"}, "server"),  # the server does not have the role
        ({"role": "ftp"}, "role"),
        ({"server": 999999}, "server"),
        ({"account": 999999}, "account"),
    ],
)
def test_bad_placement_is_400_naming_the_field(
    staff_client: APIClient, server: Server, payload: dict[str, Any], field: str
) -> None:
    response = staff_client.post("/api/placements/", {"role": "dns-primary", "server": server.pk, **payload})
    assert response.status_code == 400, response.data
    assert field in response.data["fields"], response.data
    assert not Placement.objects.exists()


def test_placement_on_an_inactive_server_is_400(staff_client: APIClient, server: Server) -> None:
    staff_client.patch(f"/api/servers/{server.pk}/", {"is_active": False}, format="json")
    response = staff_client.post("/api/placements/", {"role": "dns-primary", "server": server.pk}, format="json")
    assert response.status_code == 400 and list(response.data["fields"]) == ["server"]


def test_customers_are_refused_everywhere_and_nothing_changes(
    client_a: APIClient, anon_client: APIClient, server: Server, placement: Placement, account_a: Account
) -> None:
    calls = [
        ("get", "/api/servers/", None),
        ("get", f"/api/servers/{server.pk}/", None),
        ("post", "/api/servers/", {**BODY, "name": "evil"}),
        ("put", f"/api/servers/{server.pk}/", {**BODY, "name": "evil"}),
        ("patch", f"/api/servers/{server.pk}/", {"is_active": False}),
        ("delete", f"/api/servers/{server.pk}/", None),
        ("post", f"/api/servers/{server.pk}/confirm-host-key/", {"fingerprint": fingerprint(KEY)}),
        ("post", f"/api/servers/{server.pk}/rescan-host-key/", None),
        ("get", "/api/placements/", None),
        ("get", f"/api/placements/{placement.pk}/", None),
        ("post", "/api/placements/", {"role": "mail", "server": server.pk, "account": account_a.pk}),
        ("delete", f"/api/placements/{placement.pk}/", None),
    ]
    before = (list(Server.objects.values()), list(Placement.objects.values()), ObjectChange.objects.count())
    for method, path, body in calls:
        response = getattr(client_a, method)(path, body, format="json")
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.data["code"] == "permission_denied"
        response = getattr(anon_client, method)(path, body, format="json")
        assert response.status_code == 401, (method, path, response.status_code)
    after = (list(Server.objects.values()), list(Placement.objects.values()), ObjectChange.objects.count())
    assert after == before
