"""SSH and SFTP as a customer's client speaks them, for the end-to-end tests and the benchmarks: paramiko to a
test server's published SSH port on 127.0.0.1."""

from __future__ import annotations

import paramiko


def _client() -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    return client


def upload(port: int, user: str, password: str, files: dict[str, bytes]) -> None:
    """Log in with a password and write each file (path in the user's chroot -> content)."""
    client = _client()
    client.connect("127.0.0.1", port=port, username=user, password=password, allow_agent=False,
                   look_for_keys=False, timeout=20)  # fmt: skip
    try:
        with client.open_sftp() as sftp:
            for path, content in files.items():
                with sftp.open(path, "wb") as remote:
                    remote.write(content)
    finally:
        client.close()


def key_login(port: int, user: str, key: paramiko.PKey) -> bool:
    """Whether a login with this key opens an SFTP session."""
    client = _client()
    try:
        client.connect("127.0.0.1", port=port, username=user, pkey=key, allow_agent=False, look_for_keys=False,
                       timeout=10)  # fmt: skip
        client.open_sftp().close()
    except (paramiko.AuthenticationException, paramiko.SSHException, OSError):
        return False
    finally:
        client.close()
    return True
