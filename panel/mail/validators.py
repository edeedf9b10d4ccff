"""Validators for what customers type into mail fields. Pure functions: nothing that passes can add a line
or a field to a postfix map or dovecot's passwd-file (no newline, colon, comma, space or control character
survives), and nothing is ever evaluated as a template."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

MAILBOX_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
# RFC 5321 dot-atom, restricted to what every MTA and client handles: lowercase letters, digits, . _ + -
LOCAL_PART = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*")
QUOTA_MAX_MB = 1024 * 1024  # 1 TiB
SIEVE_MAX_BYTES = 64 * 1024
_TEMPLATE_MARKERS = ("{{", "{%", "{#")


def validate_mailbox_name(value: str) -> None:
    if not MAILBOX_NAME.fullmatch(value) or ".." in value:
        raise ValidationError(
            "A mailbox name is 1-64 characters: lowercase letters, digits, '.', '_' and '-', starting with a "
            "letter or digit.",
            code="invalid",
        )


def normalize_local_part(value: str) -> str:
    """'' is the catch-all; otherwise a lowercase dot-atom of at most 64 characters."""
    value = value.strip().lower()
    if value == "":
        return ""
    if len(value) > 64 or not LOCAL_PART.fullmatch(value):
        raise ValidationError(
            "Use lowercase letters, digits and . _ + - (no leading, trailing or double dots), at most 64 "
            "characters; leave it empty for a catch-all.",
            code="invalid",
        )
    return value


def normalize_forward(value: str) -> str:
    """An external address mail is forwarded to."""
    value = value.strip()
    if any(ch in value for ch in ",:;\"'<>()[]\\ \t\r\n") or any(m in value for m in _TEMPLATE_MARKERS):
        raise ValidationError(f"'{value}' is not a plain email address.", code="invalid")
    EmailValidator(message=f"'{value}' is not a valid email address.", allowlist=[])(value)
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def validate_quota(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= QUOTA_MAX_MB:
        raise ValidationError(
            f"The quota is a whole number of MB from 0 (unlimited) to {QUOTA_MAX_MB}.", code="out_of_range"
        )


def validate_text(value: str, *, max_length: int, multiline: bool) -> None:
    """Subject lines and bodies of autoresponses, custom sieve scripts."""
    if len(value.encode()) > max_length:
        raise ValidationError(f"At most {max_length} bytes.", code="max_length")
    allowed = {"\n", "\t"} if multiline else set()
    if any((ord(ch) < 32 and ch not in allowed) or ord(ch) == 127 for ch in value):
        raise ValidationError(
            "Control characters are not allowed." if multiline else "A single line without control characters.",
            code="control_character",
        )


def validate_password(value: str) -> None:
    """Any characters are fine (quotes, colons, spaces, unicode): only the hash is ever stored or sent."""
    if len(value) < 10:
        raise ValidationError("Use at least 10 characters.", code="too_short")
    if len(value) > 1024 or "\x00" in value:
        raise ValidationError("At most 1024 characters, no NUL.", code="invalid")


# Extensions the panel's parser (sievelib) understands. A script that requires others (dovecot has more, e.g.
# spamtest, duplicate, mime) may use commands the parser does not know: those scripts are left to sievec on the
# server, where a refusal fails only that mailbox (failure isolation).
_PARSER_EXTENSIONS = frozenset(
    {
        "body", "comparator-i;ascii-casemap", "comparator-i;ascii-numeric", "comparator-i;octet", "copy", "date",
        "encoded-character", "enotify", "envelope", "environment", "fileinto", "imap4flags", "mailbox", "regex",
        "reject", "relational", "subaddress", "vacation", "variables",
    }
)  # fmt: skip
_REQUIRE = re.compile(r'require\s*(\[[^\]]*\]|"[^"]*")', re.IGNORECASE)


def _required_extensions(script: str) -> set[str]:
    return {name.lower() for block in _REQUIRE.findall(script) for name in re.findall(r'"([^"]*)"', block)}


def validate_sieve(script: str) -> None:
    """A custom sieve script must parse (RFC 5228 grammar, the commands of the extensions it requires), so a
    typo is a 400 here instead of a refused script on the server."""
    validate_text(script, max_length=SIEVE_MAX_BYTES, multiline=True)
    if not script.strip():
        return
    from sievelib.parser import Parser

    parser = Parser()
    if parser.parse(script):
        return
    error = str(parser.error or "it does not parse")
    if "unknown" in error and _required_extensions(script) - _PARSER_EXTENSIONS:
        return  # a command of an extension only the server knows: sievec decides
    raise ValidationError(f"This is not a valid sieve script: {error}", code="invalid_sieve")
