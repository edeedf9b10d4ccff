"""System users and SSH keys without JavaScript: a user with a key, its password and settings, a key added and
removed, a bad key refused next to its field, another account's users and keys not found."""

from __future__ import annotations

import pytest

from panel.accounts.models import Account, User
from panel.servers.models import Server
from panel.systemusers.models import SshKey, SystemUser
from panel.systemusers.services import system_user_create
from tests.portal.test_portal_dns import browser
from tests.sshkeys import key_pair

pytestmark = pytest.mark.django_db


def test_a_user_its_keys_its_password_and_settings(customer_a: User, web_server: Server) -> None:
    client = browser(customer_a)
    first = key_pair("portal-1")[1]
    body = {"name": "alice-deploy", "access": "sftp", "scope": "", "password": "", "keys": first}
    response = client.post("/users/", body)
    user = SystemUser.objects.get(name="alice-deploy")
    assert response.status_code == 302 and response["Location"] == f"/users/{user.pk}/"
    assert SshKey.objects.filter(system_user=user).count() == 1
    bad = client.post(f"/users/{user.pk}/keys/new/", {"key": "ssh-rsa AAAA-not-a-key"})
    assert bad.status_code == 200 and 'id="id_key_errors"' in bad.content.decode()
    assert client.post(f"/users/{user.pk}/keys/new/", {"key": key_pair("portal-2")[1]}).status_code == 302
    key = SshKey.objects.filter(system_user=user).order_by("pk").last()
    assert key is not None and key.fingerprint in client.get(f"/users/{user.pk}/").content.decode()
    assert client.post(f"/users/keys/{key.pk}/delete/").status_code == 302
    assert SshKey.objects.get(pk=key.pk).pending_delete
    assert client.post(f"/users/{user.pk}/password/", {"password": "a-long-sftp-password-3"}).status_code == 302
    assert SystemUser.objects.get(pk=user.pk).password_hash.startswith("$")
    assert client.post(f"/users/{user.pk}/", {"access": "shell", "is_active": "on"}).status_code == 302
    assert SystemUser.objects.get(pk=user.pk).access == "shell"


def test_another_accounts_users_and_keys_are_not_found(
    account_a: Account, customer_b: User, web_server: Server
) -> None:
    user, _ = system_user_create(account=account_a, name="alice-deploy", keys=[key_pair("portal-3")[1]], actor=None)
    key = SshKey.objects.get(system_user=user)
    other = browser(customer_b)
    for url in [f"/users/{user.pk}/", f"/users/{user.pk}/delete/", f"/users/keys/{key.pk}/delete/",
                f"/state/systemuser/{user.pk}/", f"/state/sshkey/{key.pk}/"]:  # fmt: skip
        assert other.get(url).status_code == 404, url
    posts = {
        f"/users/{user.pk}/password/": {"password": "taken-over-password-9"},
        f"/users/{user.pk}/keys/new/": {"key": key_pair("intruder")[1]},
        f"/users/keys/{key.pk}/delete/": {},
        f"/users/{user.pk}/delete/": {},
    }
    for url, body in posts.items():
        assert other.post(url, body).status_code == 404, url
    assert (
        SshKey.objects.filter(system_user=user).count() == 1 and not SystemUser.objects.get(pk=user.pk).pending_delete
    )
