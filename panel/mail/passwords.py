"""The password hash dovecot reads. Plain passwords are hashed here and never stored nor logged."""

from __future__ import annotations

from passlib.hash import sha512_crypt

SCHEME = "SHA512-CRYPT"


def dovecot_hash(password: str) -> str:
    """`{SHA512-CRYPT}$6$...`, a scheme dovecot verifies natively, with a random salt and the 5000 rounds of
    `doveadm pw` (passlib's own default of 656000 would make every IMAP login burn CPU on the server)."""
    return f"{{{SCHEME}}}{sha512_crypt.using(rounds=5000).hash(password)}"


def verify(password: str, stored: str) -> bool:
    prefix = f"{{{SCHEME}}}"
    return stored.startswith(prefix) and sha512_crypt.verify(password, stored[len(prefix) :])
