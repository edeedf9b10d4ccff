"""Real SSH key pairs for tests and benchmarks, made with `cryptography` (no ssh-keygen needed)."""

from __future__ import annotations

import io
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def openssh_public(private: Any) -> str:
    """The OpenSSH public line (`type base64`) of a `cryptography` private key."""
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return str(public.decode())


def public_key(comment: str = "") -> str:
    """A fresh ed25519 public key line, with `comment` if given."""
    return f"{openssh_public(ed25519.Ed25519PrivateKey.generate())} {comment}".rstrip()


def key_pair(comment: str = "") -> tuple[Any, str]:
    """A fresh ed25519 key: paramiko's private key (to log in) and the public line (for the API)."""
    import paramiko

    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    return paramiko.Ed25519Key.from_private_key(io.StringIO(pem)), f"{openssh_public(private)} {comment}".rstrip()
