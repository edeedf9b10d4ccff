"""Reading a server's SSH host key and showing it as a fingerprint staff can compare.

A key read over the network proves nothing by itself (whoever answers on that address is believed), which
is why a scanned key is stored unconfirmed until staff compare its fingerprint with the one the server shows
on its console (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`).
"""

from __future__ import annotations

import base64
import hashlib
import math
import subprocess

from django.core.exceptions import ValidationError as DjangoValidationError

from panel.core.errors import ApplicationError, ValidationFailed
from panel.servers.validators import host_key_blob, validate_address, validate_port

SCANNED_KEY_TYPE = "ssh-ed25519"


class HostKeyUnreadable(ApplicationError):
    """No SSH host key could be read from the server (nothing answered, or not with a usable key)."""

    default_code = "host_key_unreadable"


def _check_target(address: str, port: int) -> None:
    try:
        validate_address(address)
    except DjangoValidationError as error:
        raise ValidationFailed(" ".join(error.messages), field="address") from error
    try:
        validate_port(port)
    except DjangoValidationError as error:
        raise ValidationFailed(" ".join(error.messages), field="ssh_port") from error


def _first_key(keyscan_output: str) -> str | None:
    """The first valid key in ssh-keyscan's "[host]:port type blob" lines (its "#" lines are banners)."""
    for line in keyscan_output.splitlines():
        words = line.split()
        if line.startswith("#") or len(words) < 3 or words[1] != SCANNED_KEY_TYPE:
            continue
        key = f"{words[1]} {words[2]}"
        try:
            host_key_blob(key)
        except DjangoValidationError:
            continue
        return key
    return None


def scan_host_key(address: str, port: int, timeout: float = 5) -> str:
    """Read the server's ed25519 host key with ssh-keyscan; returns "ssh-ed25519 AAAA..." (type and key only)."""
    _check_target(address, port)
    seconds = max(1, math.ceil(timeout))
    # List arguments and "--" before the address: nothing typed by anyone reaches a shell or is read as an option.
    command = ["ssh-keyscan", "-T", str(seconds), "-p", str(port), "-t", SCANNED_KEY_TYPE, "--", address]
    where = f"{address}:{port}"
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 5, check=False)
    except FileNotFoundError as error:
        raise HostKeyUnreadable("ssh-keyscan is not installed on the panel host.", field="host_key") from error
    except subprocess.TimeoutExpired as error:
        raise HostKeyUnreadable(f"No SSH server at {where} answered within {seconds} s.", field="host_key") from error
    key = _first_key(result.stdout)
    if key is None:
        raise HostKeyUnreadable(
            f"No {SCANNED_KEY_TYPE} host key could be read from {where} within {seconds} s; check the address and "
            "SSH port, or paste the key.",
            field="host_key",
        )
    return key


def fingerprint(host_key: str) -> str:
    """The OpenSSH fingerprint of "type blob", as `ssh-keygen -l` prints it: SHA256:<base64, no padding>."""
    digest = hashlib.sha256(host_key_blob(host_key.strip())).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
