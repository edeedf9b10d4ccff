"""System users and SSH keys through the API: what is created and stored (hashes, re-rendered keys, the account's
own user and its uid), hostile input refused with a 400 naming the field and nothing reaching a server, tenancy,
deletion and suspension."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from passlib.hash import sha512_crypt
from rest_framework.test import APIClient

from panel.accounts.models import Account, User
from panel.accounts.services import account_delete, account_disable, account_enable
from panel.core.models import ObjectChange
from panel.provisioning import registry
from panel.provisioning.models import ChangeSet, ChangeSetItem
from panel.servers.models import Server
from panel.systemusers.models import UID_MIN, SshKey, SystemUser, UnixId
from tests.factories import make_account
from tests.provisioning.specs import role_spec_errors
from tests.sshkeys import openssh_public, public_key

pytestmark = pytest.mark.django_db
URL = "/api/systemusers/"
KEYS_URL = "/api/systemusers/keys/"
PASSWORD = "a long sftp password"


@pytest.fixture(scope="module")
def ed_key() -> str:
    return public_key("laptop")


@pytest.fixture(scope="module")
def other_key() -> str:
    return public_key()


def _create(client: APIClient, **body: Any) -> Any:
    return client.post(URL, body, format="json")


def test_the_first_user_brings_the_accounts_own_user_and_uid(
    client_a: APIClient, account_a: Account, web_server: Server, ed_key: str
) -> None:
    response = _create(client_a, name="alice-dev", access="shell", password=PASSWORD, keys=[ed_key])
    assert response.status_code == 201, response.data
    body = response.data
    assert (body["name"], body["access"], body["server"], body["has_password"], body["is_main"]) == (
        "alice-dev", "shell", "web1", True, False,
    )  # fmt: skip
    assert "password" not in body and PASSWORD not in str(body)
    [key] = body["ssh_keys"]
    assert key["type"] == "ssh-ed25519" and key["fingerprint"].startswith("SHA256:") and key["comment"] == "laptop"
    main = SystemUser.objects.get(account=account_a, is_main=True)
    assert (main.name, main.access, main.password_hash, main.keys.count()) == ("alice", "sftp", "", 0)
    stored = SystemUser.objects.get(name="alice-dev").password_hash
    assert stored.startswith("$6$") and sha512_crypt.verify(PASSWORD, stored)
    assert UnixId.objects.get(account=account_a).uid == UID_MIN
    change_set = ChangeSet.objects.get(pk=body["change_set"])
    assert (change_set.server, change_set.service) == (web_server, "users")
    assert {item.object_repr for item in change_set.items.all()} >= {"alice", "alice-dev"}
    assert {item.scope for item in change_set.items.all()} == {"account:alice"}
    assert ObjectChange.objects.filter(object_repr="alice-dev", action="create").exists()
    assert PASSWORD not in str(list(ObjectChange.objects.values_list("before", "after")))


def test_the_account_user_can_be_created_by_name_and_only_once(
    client_a: APIClient, account_a: Account, web_server: Server, ed_key: str
) -> None:
    created = _create(client_a, name="alice", keys=[ed_key])
    assert created.status_code == 201 and created.data["is_main"] is True
    again = _create(client_a, name="alice")
    assert (again.status_code, again.data["code"], list(again.data["fields"])) == (409, "taken", ["name"])
    assert _create(client_a, name="alice", scope="web/shop").data["fields"].keys() == {"scope"}


def test_uids_are_per_account_stable_and_never_reused(
    client_a: APIClient, client_b: APIClient, account_a: Account, account_b: Account, web_server: Server
) -> None:
    assert _create(client_a, name="alice-one").status_code == 201
    assert _create(client_a, name="alice-two").status_code == 201
    assert _create(client_b, name="bob-one").status_code == 201
    uid_a, uid_b = UnixId.objects.get(account=account_a).uid, UnixId.objects.get(account=account_b).uid
    assert (uid_a, uid_b) == (UID_MIN, UID_MIN + 1)
    account_delete(account=account_b, actor=None)
    assert UnixId.objects.filter(uid=uid_b, account__isnull=True, handle="bob").exists()  # kept, never given again
    carol = make_account("carol")
    from panel.systemusers.services import system_user_create

    system_user_create(account=carol, name="carol-web", actor=None)
    assert UnixId.objects.get(account=carol).uid == UID_MIN + 2


HOSTILE_NAMES = [
    ("a/b", "invalid"),
    ("..", "invalid"),
    ("a..b", "invalid"),
    ("a:b", "invalid"),
    ("a\nb", "invalid"),
    ("Alice", "uppercase"),
    ("1alice", "invalid"),
    ("a" * 33, "max_length"),
    ("root", "reserved"),
    ("www-data", "reserved"),
    ("mysql", "reserved"),
    ("list", "reserved"),
    ("vmail", "reserved"),
    ("sshd", "reserved"),
    ("baton-sftp", "reserved"),
    ("bob", "reserved"),  # another account's handle: its own user's name
    ("", "required"),
]


@pytest.mark.parametrize(("name", "code"), HOSTILE_NAMES, ids=[repr(n) for n, _ in HOSTILE_NAMES])
def test_hostile_names_are_refused_naming_the_field_and_nothing_reaches_a_server(
    client_a: APIClient, account_b: Account, web_server: Server, name: str, code: str
) -> None:
    response = _create(client_a, name=name)
    assert response.status_code == 400, response.data
    assert list(response.data["fields"]) == ["name"] and response.data["code"] in {code, "invalid"}, response.data
    assert not SystemUser.objects.exists() and not ChangeSet.objects.exists() and not UnixId.objects.exists()


def test_a_name_taken_by_another_accounts_user_is_a_conflict(
    client_a: APIClient, client_b: APIClient, web_server: Server
) -> None:
    assert _create(client_b, name="deploy").status_code == 201
    response = _create(client_a, name="deploy")
    assert (response.status_code, response.data["code"], list(response.data["fields"])) == (409, "taken", ["name"])
    assert not SystemUser.objects.filter(account__handle="alice").exists()


def test_a_new_account_cannot_take_a_system_users_name(
    client_a: APIClient, staff_client: APIClient, web_server: Server
) -> None:
    assert _create(client_a, name="deploy").status_code == 201
    body = {
        "handle": "deploy",
        "name": "D",
        "contacts": [{"name": "D", "email": "d@elsewhere.org", "usages": ["emergency"]}],
    }
    response = staff_client.post("/api/accounts/", body, format="json")
    assert (response.status_code, response.data["code"], list(response.data["fields"])) == (409, "taken", ["handle"])
    assert not Account.objects.filter(handle="deploy").exists()


def _rsa(bits: int) -> str:
    return openssh_public(rsa.generate_private_key(public_exponent=65537, key_size=bits))


def _private_key() -> str:
    return (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
        .decode()
    )


def _hostile_keys(good: str) -> list[tuple[str, str, str]]:
    return [
        ("private key", _private_key(), "private_key"),
        ("truncated", good[: len(good) // 2], "invalid"),
        ("rsa-1024", _rsa(1024), "weak_key"),
        ("command option", f'command="/bin/sh" {good}', "options"),
        ("from option", f'from="10.0.0.1",no-pty {good}', "options"),
        ("newline", f"{good}\nssh-ed25519 AAAA", "multiline"),
        ("not a key", "hello world", "unsupported_type"),
    ]


def test_hostile_keys_are_refused_on_users_and_on_the_keys_endpoint(
    client_a: APIClient, web_server: Server, ed_key: str
) -> None:
    user = _create(client_a, name="alice-dev").data
    keys_before = SshKey.objects.count()
    for label, text, code in _hostile_keys(ed_key):
        on_create = _create(client_a, name="alice-new", keys=[ed_key, text])
        assert (on_create.status_code, on_create.data["code"], list(on_create.data["fields"])) == (
            400, code, ["keys.1"],
        ), label  # fmt: skip
        added = client_a.post(KEYS_URL, {"system_user": user["id"], "key": text}, format="json")
        assert (added.status_code, added.data["code"], list(added.data["fields"])) == (400, code, ["key"]), label
    assert not SystemUser.objects.filter(name="alice-new").exists() and SshKey.objects.count() == keys_before


def test_a_key_is_stored_as_rendered_without_options_and_shown_with_its_fingerprint(
    client_a: APIClient, web_server: Server, ed_key: str
) -> None:
    user = _create(client_a, name="alice-dev").data
    type_, blob, _ = ed_key.split(" ", 2)
    response = client_a.post(
        KEYS_URL, {"system_user": user["id"], "key": f"  {type_} {blob} my\tkey;\x07 command=x  "}, format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["line"] == f"{type_} {blob} my key; command=x"
    assert response.data["bits"] == 256 and response.data["change_set"]
    again = client_a.post(KEYS_URL, {"system_user": user["id"], "key": ed_key}, format="json")
    assert (again.status_code, again.data["code"]) == (409, "taken")
    assert _openssh_rsa_3072_accepted(client_a, user["id"])


def _openssh_rsa_3072_accepted(client: APIClient, user_id: int) -> bool:
    response = client.post(KEYS_URL, {"system_user": user_id, "key": _rsa(3072)}, format="json")
    return response.status_code == 201 and response.data["bits"] == 3072


SCOPES = [("../bob", "escape"), ("/etc", "absolute"), ("web/../../bob", "escape"), ("web/a/b", "invalid"),
          ("private", "invalid"), ("web/Shop", "invalid"), ("web/.", "escape")]  # fmt: skip


@pytest.mark.parametrize(("scope", "code"), SCOPES)
def test_scopes_escaping_the_home_are_refused(client_a: APIClient, web_server: Server, scope: str, code: str) -> None:
    response = _create(client_a, name="alice-web", scope=scope)
    assert (response.status_code, response.data["code"], list(response.data["fields"])) == (400, code, ["scope"])
    assert not SystemUser.objects.exists()


def test_a_per_site_user(client_a: APIClient, web_server: Server) -> None:
    response = _create(client_a, name="alice-blog", scope="web/blog/")
    assert response.status_code == 201 and response.data["scope"] == "web/blog"


def test_set_password_and_remove_it(client_a: APIClient, web_server: Server) -> None:
    user = _create(client_a, name="alice-dev").data
    assert user["has_password"] is False
    short = client_a.post(f"{URL}{user['id']}/set-password/", {"password": "short"}, format="json")
    assert (short.status_code, list(short.data["fields"])) == (400, ["password"])
    done = client_a.post(f"{URL}{user['id']}/set-password/", {"password": PASSWORD}, format="json")
    assert done.status_code == 202 and ChangeSet.objects.filter(pk=done.data["change_set"]).exists()
    assert sha512_crypt.verify(PASSWORD, SystemUser.objects.get(pk=user["id"]).password_hash)
    assert client_a.get(f"{URL}{user['id']}/").data["has_password"] is True
    removed = client_a.post(f"{URL}{user['id']}/set-password/", {"password": None}, format="json")
    assert removed.status_code == 202 and SystemUser.objects.get(pk=user["id"]).password_hash == ""
    patched = client_a.patch(f"{URL}{user['id']}/", {"password": PASSWORD}, format="json")
    assert (patched.status_code, list(patched.data["fields"])) == (400, ["password"])


def test_update_access_and_scope_but_never_the_name(client_a: APIClient, web_server: Server) -> None:
    user = _create(client_a, name="alice-dev").data
    changed = client_a.patch(f"{URL}{user['id']}/", {"access": "shell", "is_active": False}, format="json")
    assert changed.status_code == 200 and (changed.data["access"], changed.data["is_active"]) == ("shell", False)
    renamed = client_a.patch(f"{URL}{user['id']}/", {"name": "alice-ops"}, format="json")
    assert (renamed.status_code, list(renamed.data["fields"])) == (400, ["name"])
    bad = client_a.patch(f"{URL}{user['id']}/", {"access": "root"}, format="json")
    assert (bad.status_code, list(bad.data["fields"])) == (400, ["access"])


def test_delete_a_user_its_keys_go_the_account_user_stays(
    client_a: APIClient, account_a: Account, web_server: Server, ed_key: str
) -> None:
    user = _create(client_a, name="alice-dev", keys=[ed_key]).data
    main = SystemUser.objects.get(account=account_a, is_main=True)
    refused = client_a.delete(f"{URL}{main.pk}/")
    assert (refused.status_code, refused.data["code"]) == (409, "main_user")
    deleted = client_a.delete(f"{URL}{user['id']}/")
    assert deleted.status_code == 202
    assert SystemUser.objects.get(pk=user["id"]).pending_delete
    assert all(key.pending_delete for key in SshKey.objects.filter(system_user_id=user["id"]))
    # the run that drops it settles it: the rows go (the files stay on the server, they are the account's)
    items = list(ChangeSetItem.objects.filter(change_set_id=deleted.data["change_set"]))
    ChangeSet.objects.filter(pk=deleted.data["change_set"]).update(state="applied")
    ChangeSetItem.objects.filter(pk__in=[i.pk for i in items]).update(outcome="applied")
    registry.get("users").settle(items)
    assert not SystemUser.objects.filter(pk=user["id"]).exists() and not SshKey.objects.filter(
        system_user_id=user["id"]
    )


def test_customers_see_and_change_only_their_own_users_and_keys(
    client_a: APIClient, client_b: APIClient, web_server: Server, ed_key: str, other_key: str
) -> None:
    user_a = _create(client_a, name="alice-dev", keys=[ed_key]).data
    _create(client_b, name="bob-dev", keys=[other_key])
    assert {u["name"] for u in client_b.get(URL).data["results"]} == {"bob", "bob-dev"}
    assert {k["fingerprint"] for k in client_b.get(KEYS_URL).data["results"]} == {
        SshKey.objects.get(system_user__name="bob-dev").fingerprint
    }
    key_a = SshKey.objects.get(system_user__name="alice-dev")
    assert client_b.get(f"{URL}{user_a['id']}/").status_code == 404
    assert client_b.delete(f"{KEYS_URL}{key_a.pk}/").status_code == 404
    assert client_b.post(f"{URL}{user_a['id']}/set-password/", {"password": PASSWORD}, format="json").status_code == 404
    foreign = client_b.post(KEYS_URL, {"system_user": user_a["id"], "key": other_key}, format="json")
    assert (foreign.status_code, list(foreign.data["fields"])) == (400, ["system_user"])
    on_a = _create(client_b, name="bob-x", account=user_a["account"])
    assert (on_a.status_code, list(on_a.data["fields"])) == (400, ["account"])
    assert SshKey.objects.filter(system_user__name="alice-dev").count() == 1


def test_a_disabled_accounts_customer_cannot_change_users_and_its_users_render_locked(
    client_a: APIClient, account_a: Account, staff: User, web_server: Server, ed_key: str
) -> None:
    user = _create(client_a, name="alice-dev", keys=[ed_key]).data
    _, change_sets = account_disable(account=account_a, actor=staff)
    assert any(cs.service == "users" for cs in change_sets)
    refused = _create(client_a, name="alice-new")
    assert (refused.status_code, refused.data["code"]) == (409, "account_disabled")
    assert client_a.post(KEYS_URL, {"system_user": user["id"], "key": ed_key}, format="json").status_code == 409
    rendered = registry.get("users").render(registry.get("users").load(web_server))
    assert [a["active"] for a in rendered["users__host_accounts"]] == [False]
    assert client_a.get(f"{URL}{user['id']}/").data["suspended"] is True
    account_enable(account=account_a, actor=staff)
    rendered = registry.get("users").render(registry.get("users").load(web_server))
    assert [a["active"] for a in rendered["users__host_accounts"]] == [True]


def test_the_panels_own_addresses_go_to_every_server_as_never_penalised(
    client_a: APIClient, web_server: Server, settings: Any
) -> None:
    settings.BATON_CONTROLLER_ADDRESSES = ["198.51.100.7/32", "2001:db8::/64"]
    _create(client_a, name="alice-dev")
    rendered = registry.get("users").render(registry.get("users").load(web_server))
    assert rendered["users__host_penalty_exempt"] == ["198.51.100.7/32", "2001:db8::/64"]
    assert role_spec_errors("users", {"users__host_penalty_exempt": rendered["users__host_penalty_exempt"]}) == []


def test_no_web_server_is_a_conflict_not_an_error(client_a: APIClient) -> None:
    response = _create(client_a, name="alice-dev")
    assert (response.status_code, response.data["code"]) == (409, "no_server")


def test_the_loader_renders_keys_hashes_and_deleted_users(
    client_a: APIClient, account_a: Account, web_server: Server, ed_key: str
) -> None:
    user = _create(client_a, name="alice-dev", password=PASSWORD, keys=[ed_key]).data
    _create(client_a, name="alice-gone")
    client_a.delete(f"{URL}{SystemUser.objects.get(name='alice-gone').pk}/")
    rendered = registry.get("users").render(registry.get("users").load(web_server))
    users = {u["name"]: u for u in rendered["users__host_users"]}
    assert users["alice-gone"] == {"name": "alice-gone", "account": "alice", "state": "absent"}
    assert users["alice-dev"]["keys"] == [SshKey.objects.get(system_user_id=user["id"]).line]
    assert users["alice-dev"]["password_hash"].startswith("$6$")
    assert rendered["users__host_accounts"] == [{"name": "alice", "uid": UID_MIN, "state": "present", "active": True}]


def test_system_users_are_billed_as_orders_and_a_deleted_one_is_cancelled(
    client_a: APIClient, account_a: Account, staff: User, web_server: Server
) -> None:
    from panel.orders.models import Order
    from panel.orders.services import service_create

    service_create(
        description="Shell user", content_type="systemusers.systemuser", nominal_price="2.00", actor=staff,
        match=[{"field": "access", "operator": "eq", "value": "shell"}],
    )  # fmt: skip
    user = _create(client_a, name="alice-dev", access="shell").data
    _create(client_a, name="alice-ftp")  # sftp: not matched
    [order] = Order.objects.filter(account=account_a)
    assert order.object_id == user["id"] and order.cancelled_on is None
    client_a.delete(f"{URL}{user['id']}/")
    items = list(ChangeSetItem.objects.filter(object_id=str(user["id"])))
    ChangeSetItem.objects.filter(pk__in=[i.pk for i in items]).update(outcome="applied")
    ChangeSet.objects.filter(items__in=items).update(state="applied")
    registry.get("users").settle(items)
    order.refresh_from_db()
    assert order.cancelled_on is not None
