"""System users from the API down to SFTP and SSH: a real web server registered through the API, users and keys
created by customers through the API, applied by a real Huey worker, and proven with paramiko against the
server's published SSH port: chrooted SFTP logins by key and by password, no commands for SFTP users, a shell
user kept out of another tenant's home, a per-site user, escapes that fail, a revoked key refused while an open
session goes on, and a disabled account refused until it is enabled."""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from typing import Any

import paramiko
import pytest

from tests import hosts
from tests.e2e.conftest import Api, Worker, customer_api, eventually, register_server, served_now, staff_api
from tests.sshkeys import key_pair

pytestmark = pytest.mark.e2e
PASSWORD = "sftp pass: wörd {{x}} 'quoted'"


@pytest.fixture(scope="module")
def web_host() -> Iterator[hosts.TestHost]:
    name = "baton-e2e-web1"
    try:
        yield hosts.start(name)
    finally:
        hosts.stop(name)


def connect(host: hosts.TestHost, user: str, *, key: paramiko.PKey | None = None, password: str | None = None) -> Any:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        "127.0.0.1",
        port=host.ssh_port,
        username=user,
        pkey=key,
        password=password,
        allow_agent=False,
        look_for_keys=False,
        timeout=20,
        auth_timeout=20,
        banner_timeout=20,
    )
    return client


def refused(host: hosts.TestHost, user: str, **credentials: Any) -> bool:
    try:
        connect(host, user, **credentials).close()
    except paramiko.AuthenticationException:
        return True
    return False


def run(client: Any, command: str) -> tuple[int, str]:
    """Run a command; stdin is closed at once, so a forced internal-sftp ends instead of waiting for a client."""
    stdin, stdout, stderr = client.exec_command(command, timeout=20)
    stdin.channel.shutdown_write()
    output = stdout.read().decode(errors="replace") + stderr.read().decode(errors="replace")
    return stdout.channel.recv_exit_status(), output


def session_alive(sftp: paramiko.SFTPClient) -> bool:
    try:
        sftp.listdir("/")
    except (OSError, EOFError, paramiko.SSHException):
        return False
    return True


def applied(api: Api, change_set: int) -> None:
    state = api.wait_applied(change_set, timeout=180)
    assert state["state"] == "applied", state


def set_up(live_server: Any, host: hosts.TestHost) -> tuple[Api, Api, Api]:
    staff = staff_api(live_server, "users-staff")
    server = register_server(staff, host, ["web"])
    staff.ok("POST", "/api/placements/", {"role": "web", "server": server["id"]})
    return staff, customer_api(live_server, staff, "sftpco"), customer_api(live_server, staff, "otherco")


def test_sftp_and_ssh_logins_through_the_api(
    live_server: Any, start_worker: Callable[[], Worker], web_host: hosts.TestHost
) -> None:
    start_worker()
    staff, customer, other = set_up(live_server, web_host)
    key, public = key_pair("e2e")
    dev_key, dev_public = key_pair("e2e")
    site_key, site_public = key_pair("e2e")
    other_key, other_public = key_pair("e2e")
    main = customer.ok("POST", "/api/systemusers/", {"name": "sftpco", "password": PASSWORD, "keys": [public]})
    dev = customer.ok("POST", "/api/systemusers/", {"name": "sftpco-dev", "access": "shell", "keys": [dev_public]})
    site = customer.ok("POST", "/api/systemusers/", {"name": "sftpco-shop", "scope": "web/shop", "keys": [site_public]})
    theirs = other.ok("POST", "/api/systemusers/", {"name": "otherco-dev", "access": "shell", "keys": [other_public]})
    for change_set in (main["change_set"], dev["change_set"], site["change_set"], theirs["change_set"]):
        applied(staff, change_set)

    # Key login and password login land in the chroot: the listing is the account home.
    with connect(web_host, "sftpco", key=key) as client, client.open_sftp() as sftp:
        assert sorted(sftp.listdir("/")) == ["logs", "private", "tmp", "web"]
        with sftp.open("/private/hello.txt", "w") as remote:
            remote.write("uploaded over sftp")
        assert sorted(sftp.listdir("/..")) == ["logs", "private", "tmp", "web"]  # '..' of the chroot is itself
        with pytest.raises(OSError):
            sftp.open("/etc/passwd")
        with pytest.raises(OSError):
            sftp.open("../../../etc/passwd")
        sftp.symlink("/", "/private/to-root")  # a link to / inside a chroot is the chroot again
        assert "etc" not in sftp.listdir("/private/to-root") and "private" in sftp.listdir("/private/to-root")
        with pytest.raises(OSError):
            sftp.mkdir("/escape")  # the chroot root is root's: nothing can be put there
        assert run(client, "echo pwned")[1].find("pwned") == -1  # no command runs: internal-sftp is forced
        with pytest.raises(paramiko.SSHException):
            client.get_transport().open_session().get_pty()
    with connect(web_host, "sftpco", password=PASSWORD) as client, client.open_sftp() as sftp:
        assert sftp.open("/private/hello.txt").read() == b"uploaded over sftp"

    # The shell user gets bash with the account's uid, and cannot enter another tenant's home.
    with connect(web_host, "sftpco-dev", key=dev_key) as client:
        status, output = run(client, "cat /srv/baton/sftpco/private/hello.txt; echo; id -u; echo $0")
        assert status == 0 and "uploaded over sftp" in output, output
        uid = int(output.split()[-2])
        assert 200000 <= uid <= 299999
        status, output = run(client, "ls /srv/baton/otherco")
        assert status != 0 and "Permission denied" in output, output
        status, output = run(
            client,
            "ln -s /srv/baton/otherco/private /srv/baton/sftpco/private/theirs; ls /srv/baton/sftpco/private/theirs/",
        )
        assert "Permission denied" in output, output  # a link does not get around the deny
        assert run(client, "rm -rf /srv/baton/sftpco/web/shop && echo gone")[0] != 0  # the scope dir is root's
    with connect(web_host, "otherco-dev", key=other_key) as client:
        status, output = run(client, "ls /srv/baton/sftpco/private")
        assert status != 0 and "Permission denied" in output, output

    # The per-site user sees only its site.
    with connect(web_host, "sftpco-shop", key=site_key) as client, client.open_sftp() as sftp:
        assert sftp.listdir("/") == ["public"]
        with sftp.open("/public/index.html", "w") as remote:
            remote.write("<h1>shop</h1>")
        assert stat.S_ISDIR(sftp.stat("/public").st_mode)
        assert sftp.listdir("/..") == ["public"]
    with connect(web_host, "sftpco", key=key) as client, client.open_sftp() as sftp:
        assert sftp.open("/web/shop/public/index.html").read() == b"<h1>shop</h1>"  # the account's own file

    # A revoked key is refused at the next connection; a session opened before goes on.
    open_session = connect(web_host, "sftpco", key=key)
    open_sftp = open_session.open_sftp()
    [key_row] = customer.ok("GET", f"/api/systemusers/keys/?system_user={main['id']}")["results"]
    status, revoked = customer.call("DELETE", f"/api/systemusers/keys/{key_row['id']}/")
    assert status == 202, revoked
    applied(staff, revoked["change_set"])
    served_now(lambda: refused(web_host, "sftpco", key=key), True, "a revoked key")
    assert "private" in open_sftp.listdir("/")
    open_sftp.close()
    open_session.close()
    assert not refused(web_host, "sftpco", password=PASSWORD)  # the password still works

    # A key added to an existing user logs in at the first try after applied.
    new_key, new_public = key_pair("e2e-new")
    added = customer.ok("POST", "/api/systemusers/keys/", {"system_user": main["id"], "key": new_public})
    applied(staff, added["change_set"])
    served_now(lambda: refused(web_host, "sftpco", key=new_key), False, "a new key")

    # A disabled account's users are all refused, files untouched; enabling restores them.
    account = staff.ok("GET", "/api/accounts/?search=sftpco")["results"][0]["id"]
    before = connect(web_host, "sftpco", password=PASSWORD)
    before_sftp = before.open_sftp()
    assert "private" in before_sftp.listdir("/")
    disabled = staff.ok("POST", f"/api/accounts/{account}/disable/")
    for change_set in disabled["change_sets"]:
        applied(staff, change_set)
    served_now(lambda: session_alive(before_sftp), False, "a disabled account's open SFTP session")
    before.close()
    assert refused(web_host, "sftpco", password=PASSWORD)
    assert refused(web_host, "sftpco-dev", key=dev_key)
    assert not refused(web_host, "otherco-dev", key=other_key)  # another account is untouched
    enabled = staff.ok("POST", f"/api/accounts/{account}/enable/")
    for change_set in enabled["change_sets"]:
        applied(staff, change_set)
    with connect(web_host, "sftpco-dev", key=dev_key) as client:
        assert "uploaded over sftp" in run(client, "cat /srv/baton/sftpco/private/hello.txt")[1]

    # A deleted user's logins go; its files stay the account's.
    status, deleted = customer.call("DELETE", f"/api/systemusers/{site['id']}/")
    assert status == 202
    applied(staff, deleted["change_set"])
    served_now(lambda: refused(web_host, "sftpco-shop", key=site_key), True, "a deleted user's key")
    eventually(lambda: customer.call("GET", f"/api/systemusers/{site['id']}/")[0], 404)
    with connect(web_host, "sftpco", password=PASSWORD) as client, client.open_sftp() as sftp:
        assert sftp.open("/web/shop/public/index.html").read() == b"<h1>shop</h1>"


def test_the_controllers_root_login_survives_customer_input(web_host: hosts.TestHost) -> None:
    """After everything customers did above, root still logs in with the controller's key and its own
    authorized_keys (the Match blocks are for baton-* groups only)."""
    key = paramiko.Ed25519Key.from_private_key_file(str(hosts.ssh_key()))
    with connect(web_host, "root", key=key) as client:
        assert run(client, "id -u")[1].strip() == "0"
