"""Rules for websites: their names (a directory and a file name on the servers) and their domains."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from panel.dns.validators import normalize_zone_name

SITE_NAME_MAX_LENGTH = 30
DOMAINS_PER_SITE = 50
_SITE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def validate_site_name(value: str) -> None:
    """A site's name is its directory under the account's web/ and part of its vhost's file name."""
    if not isinstance(value, str) or not value:
        raise ValidationError("A site needs a name.", code="required")
    if len(value) > SITE_NAME_MAX_LENGTH:
        raise ValidationError(f"A site name has at most {SITE_NAME_MAX_LENGTH} characters.", code="max_length")
    if not _SITE_NAME.fullmatch(value):
        raise ValidationError(
            "A site name holds lowercase letters, digits and '-', and starts with a letter or digit.", code="invalid"
        )


NEVER_SERVED_TLDS = frozenset({"invalid", "localhost"})


def normalize_domains(values: object) -> list[str]:
    """The site's host names, the primary first: each a valid domain (IDN to ASCII, lowercase, no trailing
    dot), none twice."""
    if not isinstance(values, list | tuple) or not values:
        raise ValidationError("A site needs at least one domain (the primary first).", code="required")
    if len(values) > DOMAINS_PER_SITE:
        raise ValidationError(f"A site has at most {DOMAINS_PER_SITE} domains.", code="max_length")
    domains: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ValidationError("Each domain is text.", code="invalid")
        domain = normalize_zone_name(value)
        if domain.rsplit(".", 1)[-1] in NEVER_SERVED_TLDS:
            # RFC 6761: never resolvable; the servers' own neutral default vhost is named under .invalid.
            raise ValidationError(f"'{domain}' can never point to a website.", code="reserved")
        if domain in domains:
            raise ValidationError(f"'{domain}' is listed twice.", code="duplicate")
        domains.append(domain)
    return domains
