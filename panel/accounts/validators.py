"""Validators for what customers and staff type into account and contact fields. Pure functions, no DB."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

HANDLE_MAX_LENGTH = 32
_HANDLE = re.compile(r"^[a-z][a-z0-9_-]*$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ().\-/]{3,30}$")

# Handles become unix user names on every server; these belong to the system or to the daemons we run.
RESERVED_HANDLES = frozenset(
    {
        "root",
        "daemon",
        "bin",
        "sys",
        "sync",
        "games",
        "man",
        "lp",
        "mail",
        "news",
        "uucp",
        "proxy",
        "www-data",
        "backup",
        "list",
        "irc",
        "gnats",
        "nobody",
        "nogroup",
        "_apt",
        "messagebus",
        "sshd",
        "postfix",
        "dovecot",
        "dovenull",
        "vmail",
        "bind",
        "named",
        "mysql",
        "mariadb",
        "mailman",
        "postgres",
        "redis",
        "www",
        "web",
        "apache",
        "apache2",
        "nginx",
        "ftp",
        "sftp",
        "admin",
        "administrator",
        "operator",
        "staff",
        "adm",
        "tty",
        "disk",
        "kmem",
        "dialout",
        "cdrom",
        "floppy",
        "audio",
        "dip",
        "video",
        "plugdev",
        "users",
        "shadow",
        "utmp",
        "sudo",
        "wheel",
        "input",
        "kvm",
        "render",
        "crontab",
        "ssh",
        "ssl-cert",
        "tss",
        "uuidd",
        "polkitd",
        "opendkim",
        "clamav",
        "amavis",
        "debian-spamd",
        "spamd",
        "baton",
        "ansible",
        "localhost",
        "postmaster",
        "hostmaster",
        "webmaster",
        "abuse",
        "noc",
        "security",
        "mailer-daemon",
        # daemons of the roles we run or will (a tenant named so would own their files on a server)
        *("vmail", "dovenull", "bind", "mysql", "mariadb", "mailman", "mailman3", "redis", "postgres"),
        *("opendkim", "rspamd", "_rspamd", "clamav", "debian-spamd", "amavis", "ftp", "sftp", "ssh", "uuidd"),
        *("ntp", "chrony", "_chrony", "tss", "polkitd", "statd", "tcpdump", "apache", "nginx", "www"),
    }
)
_RESERVED_PREFIXES = ("systemd-", "debian-", "php", "_", "baton")  # baton-*: the role's groups


def validate_handle(value: str) -> None:
    """An account handle is used as the account's unix user name, so it follows Debian's user name rules."""
    if not value:
        raise ValidationError("A handle is required.", code="required")
    if len(value) > HANDLE_MAX_LENGTH:
        raise ValidationError(
            f"A handle has at most {HANDLE_MAX_LENGTH} characters (it has {len(value)}).", code="max_length"
        )
    if value != value.lower():
        raise ValidationError("A handle is lowercase only.", code="uppercase")
    if not _HANDLE.fullmatch(value):
        raise ValidationError("A handle starts with a letter and holds only a-z, 0-9, '-' and '_'.", code="invalid")
    if value in RESERVED_HANDLES or value.startswith(_RESERVED_PREFIXES):
        raise ValidationError(f"'{value}' is reserved for the system.", code="reserved")


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower().rstrip(".")


def validate_usable_email(value: str) -> None:
    """An address we can actually send to: syntactically valid and on a real, dotted domain."""
    EmailValidator(message="Enter a valid email address.", allowlist=[])(value)
    domain = email_domain(value)
    if "." not in domain or domain.endswith((".local", ".localhost", ".invalid", ".example", ".test")):
        raise ValidationError(f"'{domain}' is not a domain mail can be delivered to.", code="unusable")


def validate_phone(value: str) -> None:
    if value and not _PHONE.fullmatch(value):
        raise ValidationError("Enter a phone number: digits, spaces and + ( ) . - / only.", code="invalid")


def validate_country(value: str) -> None:
    if value and not re.fullmatch(r"[A-Z]{2}", value):
        raise ValidationError("Use the two-letter ISO 3166 country code, e.g. ES or DE.", code="invalid")
