"""Secrets the panel stores (a certificate's private key; later DKIM and DNSSEC keys): encrypted at rest with
Fernet (AES-128-CBC + HMAC-SHA256, `cryptography`), under the keys in BATON_SECRET_KEYS. The first key encrypts,
every key decrypts (MultiFernet), so a key is rotated by putting a new one first and running
`manage.py rotate_secrets`. What leaves the panel about a secret (audit entries, desired-state history, events,
plans) is its digest, never the secret.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class EncryptedField:
    """A model field holding a Fernet token (registered for rotation)."""

    model: str  # app_label.ModelName
    field: str


ENCRYPTED_FIELDS: list[EncryptedField] = []


def encrypted_field(model: str, field: str) -> None:
    ENCRYPTED_FIELDS.append(EncryptedField(model, field))


def _fernet() -> MultiFernet:
    keys = list(settings.BATON_SECRET_KEYS)
    if not keys:
        raise ImproperlyConfigured("BATON_SECRET_KEYS is empty: the panel cannot store secrets.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured("A stored secret does not decrypt with any key in BATON_SECRET_KEYS.") from error


def rotate(token: str) -> str:
    """The same secret, encrypted under the first key."""
    return _fernet().rotate(token.encode()).decode()


def digest(plaintext: str) -> str:
    """What may be shown or logged about a secret: it says whether it changed, nothing about it."""
    return "sha256:" + hashlib.sha256(plaintext.encode()).hexdigest()
