"""Validators for what staff type into server fields. Pure functions, no DB.

Every value here ends up in the Ansible inventory or on an ssh/ssh-keyscan command line, so the rules are
strict: one line, no spaces, nothing that could be read as an option.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from panel.servers.choices import ServerRole

SERVER_NAME_MAX_LENGTH = 63
HOSTNAME_MAX_LENGTH = 253
SSH_USER_MAX_LENGTH = 32
HOST_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa")

_SERVER_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")
_HOSTNAME_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_SSH_USER = re.compile(r"^[a-z_][a-z0-9_-]*$")
_HOST_KEY = re.compile(r"^(?P<type>" + "|".join(map(re.escape, HOST_KEY_TYPES)) + r") (?P<blob>[A-Za-z0-9+/]+={0,2})$")


def validate_server_name(value: str) -> None:
    """The inventory name: lowercase letters, digits, dots and hyphens, not starting or ending with . or -."""
    if not value:
        raise ValidationError("A server name is required.", code="required")
    if not _SERVER_NAME.fullmatch(value):
        raise ValidationError(
            f"Use 1 to {SERVER_NAME_MAX_LENGTH} lowercase letters, digits, '.' and '-', starting and ending with a "
            "letter or digit.",
            code="invalid",
        )


def _is_hostname(value: str) -> bool:
    if len(value) > HOSTNAME_MAX_LENGTH:
        return False
    labels = value.split(".")
    if not all(_HOSTNAME_LABEL.fullmatch(label) for label in labels):
        return False
    # All-numeric dotted names (999.1.1.1) are broken IP addresses, not host names.
    return not all(label.isdigit() for label in labels)


def validate_address(value: str) -> None:
    """An IP address (v4 or v6, without a zone id) or an RFC 1123 host name."""
    if not value:
        raise ValidationError("An address is required.", code="required")
    if "%" not in value:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            pass
        else:
            return
    if not _is_hostname(value):
        raise ValidationError("Enter an IP address or a host name such as ns1.example.net.", code="invalid")


def validate_ssh_user(value: str) -> None:
    """A unix user name: lowercase, starts with a letter or '_', then a-z, 0-9, '_' and '-'."""
    if not value:
        raise ValidationError("An SSH user is required.", code="required")
    if len(value) > SSH_USER_MAX_LENGTH or not _SSH_USER.fullmatch(value):
        raise ValidationError(
            f"Use a unix user name: up to {SSH_USER_MAX_LENGTH} characters, lowercase letters, digits, '_' and '-', "
            "starting with a letter or '_'.",
            code="invalid",
        )


def validate_port(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValidationError("A port is a whole number from 1 to 65535.", code="out_of_range")


def validate_roles(value: Any) -> None:
    """A list of distinct `ServerRole` values (it may be empty: a server can be registered before it serves)."""
    if not isinstance(value, list):
        raise ValidationError("Roles are a list, e.g. ['dns-primary', 'mail'].", code="invalid")
    known = set(ServerRole.values)
    for role in value:
        if not isinstance(role, str) or role not in known:
            raise ValidationError(
                f"Unknown role {role!r}; use one of {', '.join(ServerRole.values)}.", code="unknown_role"
            )
    duplicates = sorted({role for role in value if value.count(role) > 1})
    if duplicates:
        raise ValidationError(f"Role {duplicates[0]!r} is listed twice.", code="duplicate_role")


def normalize_host_key(value: str) -> str:
    """Accept a pasted key line ("type blob [comment]") and keep "type blob". A multi-line value stays as it is
    so that validation refuses it instead of silently picking one line."""
    value = value.strip()
    if "\n" in value or "\r" in value:
        return value
    return " ".join(value.split()[:2])


def host_key_blob(value: str) -> bytes:
    """The decoded key blob of "type blob"; raises ValidationError when the line is not a valid public key."""
    match = _HOST_KEY.fullmatch(value)
    if match is None:
        raise ValidationError(
            f"Enter one public host key line: '<type> <base64 key>' with type {', '.join(HOST_KEY_TYPES)}.",
            code="invalid",
        )
    try:
        blob = base64.b64decode(match["blob"], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationError("The host key is not valid base64.", code="invalid") from error
    # The blob starts with its own key type (a uint32 length, then the name), which must agree with the prefix.
    key_type = match["type"].encode()
    if blob[:4] != len(key_type).to_bytes(4, "big") or blob[4 : 4 + len(key_type)] != key_type:
        raise ValidationError(f"The key data is not a {match['type']} key.", code="type_mismatch")
    return blob


def validate_host_key(value: str) -> None:
    host_key_blob(value)


# The one list of field rules, shared by the services, the API serializers and the admin form.
SERVER_FIELD_VALIDATORS: dict[str, Callable[[Any], None]] = {
    "name": validate_server_name,
    "address": validate_address,
    "ssh_port": validate_port,
    "ssh_user": validate_ssh_user,
    "roles": validate_roles,
}
