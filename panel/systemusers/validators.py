"""Rules for system users (SFTP/SSH logins of an account): their names, their SSH public keys and the directory
a user is limited to. Each raises Django's ValidationError with a stable code, so the model, the services and
the API refuse the same input with the same words.

A key reaches the server only as the panel re-renders it (`type base64 comment`), never as the customer typed
it: whatever precedes the key type (`command=`, `from=`, any authorized_keys option) is refused here, and the
comment is cut to printable text that cannot start an option or a new line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_ssh_public_key
from django.core.exceptions import ValidationError

from panel.accounts.validators import validate_handle

KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa")
RSA_MIN_BITS = 3072
KEY_MAX_LENGTH = 8192  # an RSA key of 16,384 bits is ~2,800 characters
COMMENT_MAX_LENGTH = 100
_COMMENT = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")  # printable ASCII words, single spaces
_SCOPE_PART = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
SCOPE_ROOTS = ("web",)


@dataclass(frozen=True)
class PublicKey:
    type: str
    blob: str  # base64, as in authorized_keys
    comment: str
    bits: int
    fingerprint: str  # SHA256:..., as `ssh-keygen -l` prints it

    @property
    def line(self) -> str:
        """The authorized_keys line the panel renders: no options, ever."""
        return f"{self.type} {self.blob} {self.comment}".rstrip()


def validate_system_user_name(value: str) -> None:
    """A system user's name is a unix user name on every server, like an account handle (the same rules and
    reserved names); uniqueness across the panel is the model's."""
    validate_handle(value)


def parse_public_key(text: str) -> PublicKey:
    """An OpenSSH public key line (`type base64 [comment]`): ed25519, ECDSA (NIST curves) or RSA of at least
    3072 bits. Refuses private keys, options before the type, more than one line, and blobs that do not decode
    to a key of the type they claim."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("Paste an SSH public key (the contents of a .pub file).", code="required")
    if len(text) > KEY_MAX_LENGTH:
        raise ValidationError(f"An SSH public key has at most {KEY_MAX_LENGTH} characters.", code="max_length")
    if "PRIVATE KEY" in text:
        raise ValidationError(
            "This is a private key: paste the public key (the .pub file) and keep the private key to yourself.",
            code="private_key",
        )
    stripped = text.strip()
    if "\n" in stripped or "\r" in stripped or "\x00" in stripped:
        raise ValidationError("One key per entry, on one line.", code="multiline")
    parts = stripped.split(None, 2)
    key_type = parts[0]
    if key_type not in KEY_TYPES:
        if any(token.strip('"') in KEY_TYPES for token in stripped.split()[1:]):
            raise ValidationError(
                "Options before the key (command=, from=, ...) are not accepted: the panel sets what a login may do.",
                code="options",
            )
        raise ValidationError(
            f"Unsupported key type '{key_type[:40]}': use ed25519, ECDSA or RSA (at least {RSA_MIN_BITS} bits).",
            code="unsupported_type",
        )
    if len(parts) < 2:
        raise ValidationError("The key is incomplete: its base64 part is missing.", code="invalid")
    blob = parts[1]
    key = _load(key_type, blob)
    bits = _bits(key)
    if isinstance(key, rsa.RSAPublicKey) and bits < RSA_MIN_BITS:
        raise ValidationError(
            f"This RSA key has {bits} bits; at least {RSA_MIN_BITS} are needed (or use ed25519).", code="weak_key"
        )
    raw = base64.b64decode(blob)
    fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")
    return PublicKey(
        type=key_type,
        blob=blob,
        comment=_comment(parts[2] if len(parts) > 2 else ""),
        bits=bits,
        fingerprint=fingerprint,
    )


def _load(key_type: str, blob: str) -> object:
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationError("The key's base64 part is damaged (truncated or altered).", code="invalid") from error
    if _embedded_type(raw) != key_type:
        raise ValidationError("The key's data does not match its type: it is damaged or altered.", code="invalid")
    try:
        return load_ssh_public_key(f"{key_type} {blob}".encode())
    except (ValueError, UnsupportedAlgorithm) as error:
        raise ValidationError("The key's data is damaged (truncated or altered).", code="invalid") from error


def _embedded_type(raw: bytes) -> str | None:
    """The key type written at the start of the blob (a length-prefixed string)."""
    if len(raw) < 4:
        return None
    length = int.from_bytes(raw[:4], "big")
    if length > 64 or len(raw) < 4 + length:
        return None
    return raw[4 : 4 + length].decode("ascii", errors="replace")


def _bits(key: object) -> int:
    if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return int(key.key_size)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return 256
    raise ValidationError("Unsupported key type.", code="unsupported_type")


def _comment(text: str) -> str:
    """Printable ASCII words only, at most 100 characters: a comment never carries anything sshd would read."""
    words = "".join(char if "\x21" <= char <= "\x7e" else " " for char in text).split()
    comment = " ".join(words)[:COMMENT_MAX_LENGTH].strip()
    return comment if _COMMENT.fullmatch(comment) else ""


def validate_scope(value: str) -> str:
    """The directory a user is limited to, relative to the account home: empty (the whole home) or one site's
    directory under web/ (`web/<site>`). Returns it normalised; refuses absolute paths, `..`, `.`, empty parts
    and anything but lowercase names. Symlinks are the server's business: the role resolves the scope without
    following them."""
    if value in ("", None):
        return ""
    if not isinstance(value, str) or len(value) > 200:
        raise ValidationError("A scope is a path of at most 200 characters.", code="invalid")
    if value.startswith("/"):
        raise ValidationError("A scope is relative to the account home, e.g. web/shop.", code="absolute")
    parts = value.rstrip("/").split("/")
    if any(part in ("..", ".") for part in parts):
        raise ValidationError("A scope cannot leave or repeat a directory ('..', '.').", code="escape")
    if len(parts) != 2 or parts[0] not in SCOPE_ROOTS or not _SCOPE_PART.fullmatch(parts[1]):
        raise ValidationError(
            "A scope is one site's directory under web/ (web/<site>: lowercase letters, digits, '.', '-', '_').",
            code="invalid",
        )
    return "/".join(parts)
