"""Validators for DNS zones and records that customers type into the panel. Pure functions, no DB.

Whatever passes is rendered into a BIND zone file by an Ansible template, so nothing accepted here may
carry zone-file syntax (newlines, quotes, comments, `$` directives, parentheses, backslashes) or Jinja
markers into that file. Names come back in ASCII (IDN labels as punycode), values in canonical RDATA text.
"""

from __future__ import annotations

import encodings.idna
import ipaddress
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS")
CAA_TAGS = ("issue", "issuewild", "iodef")

TTL_MIN = 60
TTL_MAX = 604800
NAME_MAX_LENGTH = 253
LABEL_MAX_LENGTH = 63
TXT_MAX_BYTES = 4000

# Host names (zones, CAA issuers): letters, digits and inner hyphens.
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
# Record owners and targets may also hold underscores (_sip._tcp, selector._domainkey).
_RECORD_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")
_NUMBER = re.compile(r"[0-9]+")
# IDNA treats these as label separators too; they are folded to "." before a name is split.
_DOTS = re.compile("[\u002e\u3002\uff0e\uff61]")
_TEMPLATE_MARKERS = ("{{", "{%", "{#")
# Outside a TXT string these start comments, strings, directives, multi-line groups or escapes.
_ZONE_FILE_SYNTAX = frozenset(';"$()\\')
# Controls (newline, NUL, DEL, C1), lone surrogates and the Unicode line/paragraph separators.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def _shown(text: str) -> str:
    """User input quoted back in a message: shortened, with control characters made visible."""
    short = text if len(text) <= 40 else text[:37] + "..."
    return "'" + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in short) + "'"


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in _CONTROL_CATEGORIES for c in text)


def _label_to_ascii(label: str, pattern: re.Pattern[str]) -> str:
    """One lowercased label in ASCII (IDN via IDNA 2003 to punycode), or ValidationError code `invalid`."""
    if not label.isascii():
        try:
            label = encodings.idna.ToASCII(label).decode("ascii")
        except UnicodeError:
            raise ValidationError(f"{_shown(label)} is not a valid international name.", code="invalid") from None
    if not 1 <= len(label) <= LABEL_MAX_LENGTH:
        raise ValidationError(
            f"Each part of a name between dots has 1 to {LABEL_MAX_LENGTH} characters ({_shown(label)} has "
            f"{len(label)}).",
            code="invalid",
        )
    if not pattern.fullmatch(label):
        allowed = "a-z, 0-9 and '-'" if pattern is _HOST_LABEL else "a-z, 0-9, '_' and '-'"
        raise ValidationError(
            f"{_shown(label)} is not allowed in a name: use {allowed}, not starting or ending with '-'.",
            code="invalid",
        )
    if label.startswith("xn--"):
        try:
            label[4:].encode("ascii").decode("punycode")
        except UnicodeError:
            raise ValidationError(f"{_shown(label)} is not valid punycode.", code="invalid") from None
    return label


def _clean_name(value: str) -> str:
    """Typed name -> stripped, IDNA dots folded to '.'; control characters are refused, not stripped."""
    if _has_control(value):
        raise ValidationError("A name must not contain control characters such as newlines.", code="invalid")
    return _DOTS.sub(".", value.strip())


def _to_ascii_name(name: str, pattern: re.Pattern[str], *, wildcard: bool = False) -> str:
    """A relative or absolute name without its trailing dot, lowercased, label by label in ASCII."""
    if not name:
        raise ValidationError("The name is empty.", code="invalid")
    labels = name.lower().split(".")
    converted = []
    for position, label in enumerate(labels):
        if label == "*" and wildcard and position == 0:
            converted.append(label)
        elif "*" in label:
            message = (
                "'*' is only allowed as the whole leftmost part of a name." if wildcard else "'*' is not allowed here."
            )
            raise ValidationError(message, code="invalid")
        else:
            converted.append(_label_to_ascii(label, pattern))
    return ".".join(converted)


def _check_length(fqdn: str) -> None:
    if len(fqdn) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"A full domain name has at most {NAME_MAX_LENGTH} characters (this one has {len(fqdn)}).",
            code="invalid",
        )


def _domain(value: str) -> str:
    """A registrable-looking host name: two or more host labels, non-numeric top-level domain."""
    name = _clean_name(value).removesuffix(".")
    ascii_name = _to_ascii_name(name, _HOST_LABEL)
    _check_length(ascii_name)
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise ValidationError(f"{_shown(value)} is a top-level domain, not a domain name.", code="invalid")
    if _NUMBER.fullmatch(labels[-1]):
        raise ValidationError(f"{_shown(value)} does not end in a top-level domain.", code="invalid")
    return ascii_name


def normalize_zone_name(value: str) -> str:
    """Zone name -> lowercase ASCII without the trailing dot (`München.DE.` -> `xn--mnchen-3ya.de`)."""
    return _domain(value)


def normalize_record_name(value: str, zone: str) -> str:
    """Owner name -> relative to the zone (`@` for the apex). Without a trailing dot a name is relative."""
    zone = normalize_zone_name(zone)
    name = _clean_name(value)
    if name in ("", "@"):
        return "@"
    if not name.endswith("."):
        relative = _to_ascii_name(name, _RECORD_LABEL, wildcard=True)
        _check_length(f"{relative}.{zone}")
        return relative
    fqdn = _to_ascii_name(name[:-1], _RECORD_LABEL, wildcard=True)
    _check_length(fqdn)
    if fqdn == zone:
        return "@"
    if not fqdn.endswith("." + zone):
        raise ValidationError(f"{_shown(value)} is not inside the zone '{zone}'.", code="outside_zone")
    return fqdn.removesuffix("." + zone)


def validate_ttl(value: int) -> int:
    """Time to live in seconds, one minute to one week."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("The TTL is a whole number of seconds.", code="invalid")
    if not TTL_MIN <= value <= TTL_MAX:
        raise ValidationError(
            f"The TTL is between {TTL_MIN} seconds and {TTL_MAX} seconds (one week), not {value}.",
            code="out_of_range",
        )
    return value


def _uint(token: str, maximum: int, what: str) -> int:
    if not _NUMBER.fullmatch(token):
        raise ValidationError(f"The {what} is a whole number from 0 to {maximum}.", code="invalid")
    # Bounded before int(): huge digit strings are slow to convert and Python refuses very long ones.
    number = int(token) if len(token) <= 10 else maximum + 1
    if number > maximum:
        raise ValidationError(f"The {what} is from 0 to {maximum}, not {_shown(token)}.", code="out_of_range")
    return number


def _target(value: str, zone: str, *, apex: bool = True) -> str:
    """A host a record points to: absolute (`host.example.com.`), relative (`mail`) or `@` for the apex."""
    value = _DOTS.sub(".", value)
    if value == "@" and apex:
        return "@"
    if value.endswith("."):
        fqdn = _to_ascii_name(value[:-1], _RECORD_LABEL)
        _check_length(fqdn)
        return fqdn + "."
    relative = _to_ascii_name(value, _RECORD_LABEL)
    _check_length(f"{relative}.{zone}")
    return relative


def _mx(value: str, zone: str) -> str:
    parts = value.split()
    if len(parts) != 2:
        raise ValidationError("An MX record is '<preference> <mail server>', e.g. '10 mail'.", code="invalid")
    preference = _uint(parts[0], 65535, "preference")
    if parts[1] == ".":
        if preference != 0:
            raise ValidationError("A null MX ('.', no mail accepted) has preference 0: '0 .'.", code="invalid")
        return "0 ."
    return f"{preference} {_target(parts[1], zone)}"


def _srv(value: str, zone: str) -> str:
    parts = value.split()
    if len(parts) != 4:
        raise ValidationError(
            "An SRV record is '<priority> <weight> <port> <target>', e.g. '10 5 5060 sip'.", code="invalid"
        )
    numbers = [_uint(token, 65535, what) for token, what in zip(parts[:3], ("priority", "weight", "port"), strict=True)]
    target = "." if parts[3] == "." else _target(parts[3], zone)
    return " ".join([*map(str, numbers), target])


def _caa_value(tag: str, value: str) -> str:
    """The text inside the quotes: `;` alone (no CA may issue) is the only zone-file syntax let through."""
    if tag in ("issue", "issuewild") and value == ";":
        return value
    _reject_zone_file_syntax(value)
    if tag in ("issue", "issuewild"):
        return _domain(value)
    if value.startswith("mailto:"):
        EmailValidator(message="An iodef mailto: needs a valid email address.")(value.removeprefix("mailto:"))
    else:
        URLValidator(schemes=["https", "http"], message="An iodef value is a mailto: address or an http(s) URL.")(value)
    return value


def _caa(value: str) -> str:
    parts = value.split()
    if len(parts) != 3:
        raise ValidationError(
            "A CAA record is '<flags> <tag> <value>', e.g. '0 issue \"letsencrypt.org\"'.", code="invalid"
        )
    flags = _uint(parts[0], 255, "flags")
    tag = parts[1].lower()
    if tag not in CAA_TAGS:
        raise ValidationError(f"The CAA tag is one of {', '.join(CAA_TAGS)}.", code="invalid")
    raw = parts[2]
    inner = raw[1:-1] if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"') else raw
    if not inner:
        raise ValidationError("The CAA value is empty.", code="invalid")
    return f'{flags} {tag} "{_caa_value(tag, inner)}"'


def _txt(value: str) -> str:
    size = len(value.encode("utf-8"))
    if size > TXT_MAX_BYTES:
        raise ValidationError(
            f"A TXT record holds at most {TXT_MAX_BYTES} bytes of text (this one has {size}).", code="max_length"
        )
    return value


def _reject_zone_file_syntax(value: str) -> None:
    found = sorted(set(value) & _ZONE_FILE_SYNTAX)
    if found:
        raise ValidationError(f"These characters are not allowed here: {' '.join(found)}", code="forbidden_character")


def _ip(rtype: str, value: str) -> str:
    try:
        if rtype == "A":
            return str(ipaddress.IPv4Address(value))
        address = ipaddress.IPv6Address(value)
    except ValueError:
        version = "IPv4" if rtype == "A" else "IPv6"
        raise ValidationError(f"{_shown(value)} is not an {version} address.", code="invalid") from None
    if address.scope_id is not None:
        raise ValidationError("An AAAA record holds an address without a %zone suffix.", code="invalid")
    return address.compressed


def _normalize_value(rtype: str, value: str, zone: str) -> str:
    if any(marker in value for marker in _TEMPLATE_MARKERS):
        raise ValidationError("'{{', '{%' and '{#' are not allowed in a record.", code="template")
    if _has_control(value):
        raise ValidationError(
            "A record must not contain control characters such as newlines or NUL.", code="control_character"
        )
    if rtype == "TXT":
        if not value:
            raise ValidationError("The TXT text is empty.", code="required")
        return _txt(value)
    value = value.strip()
    if not value:
        raise ValidationError("The record value is empty.", code="required")
    if rtype == "CAA":
        return _caa(value)
    _reject_zone_file_syntax(value)
    if rtype in ("A", "AAAA"):
        return _ip(rtype, value)
    if rtype == "MX":
        return _mx(value, zone)
    if rtype == "SRV":
        return _srv(value, zone)
    return _target(value, zone, apex=rtype == "CNAME")


def normalize_record_value(rtype: str, value: str, *, zone: str) -> str:
    """Record data -> canonical RDATA text; errors name the field: {"type": [...]} or {"value": [...]}."""
    zone = normalize_zone_name(zone)
    if rtype not in RECORD_TYPES:
        raise ValidationError(
            {"type": ValidationError(f"The record type is one of {', '.join(RECORD_TYPES)}.", code="unknown_type")}
        )
    try:
        return _normalize_value(rtype, value, zone)
    except ValidationError as exc:
        raise ValidationError({"value": exc.error_list}) from None


def check_record_set(records: list[tuple[str, str, str]]) -> None:
    """All (name, type, normalized value) records of one zone: no duplicates, CNAME alone and not at the apex."""
    seen: set[tuple[str, str, str]] = set()
    types_by_name: dict[str, list[str]] = {}
    for name, rtype, value in records:
        if rtype == "CNAME" and name == "@":
            raise ValidationError(
                {"type": ValidationError("The zone apex (@) cannot hold a CNAME record.", code="cname_at_apex")}
            )
        if (name, rtype, value) in seen:
            raise ValidationError(
                {"value": ValidationError(f"The zone already has this {rtype} record at {name}.", code="duplicate")}
            )
        seen.add((name, rtype, value))
        types_by_name.setdefault(name, []).append(rtype)
    for name, types in types_by_name.items():
        if "CNAME" in types and len(types) > 1:
            raise ValidationError(
                {
                    "name": ValidationError(
                        f"{name} has a CNAME record, which must be the only record at its name.",
                        code="cname_conflict",
                    )
                }
            )


_ADDRESS_TYPES = frozenset({"A", "AAAA"})
# Targets named-checkzone needs an address for when they are in the zone (it refuses the whole zone otherwise);
# a CNAME's in-zone target must at least exist, or it points nowhere.
_TARGET_FIELD = {"NS": 0, "MX": 1, "SRV": 3, "CNAME": 0}


def _in_zone_owner(target: str, zone: str) -> str | None:
    """The owner name (as records store it) of a target inside the zone, or None when it is outside."""
    if target in ("@", "."):
        return "@" if target == "@" else None
    if not target.endswith("."):
        return target
    fqdn = target[:-1]
    if fqdn == zone:
        return "@"
    return fqdn[: -len(zone) - 1] if fqdn.endswith("." + zone) else None


def _covered_by_wildcard(owner: str, owners: set[str]) -> bool:
    labels = owner.split(".")
    return any(f"*.{'.'.join(labels[i:])}" in owners for i in range(1, len(labels))) or "*" in owners


def dangling_targets(records: list[tuple[str, str, str]], zone: str) -> list[tuple[str, str, str, str]]:
    """(name, type, value, target) of the records whose in-zone target has no address record in the zone."""
    addressed = {name for name, rtype, _ in records if rtype in _ADDRESS_TYPES}
    existing = {name for name, _, _ in records}
    dangling = []
    for name, rtype, value in records:
        if rtype not in _TARGET_FIELD:
            continue
        parts = value.split()
        owner = _in_zone_owner(parts[_TARGET_FIELD[rtype]], zone) if len(parts) > _TARGET_FIELD[rtype] else None
        if owner is None:
            continue
        wanted = existing if rtype == "CNAME" else addressed
        if owner not in wanted and not _covered_by_wildcard(owner, wanted):
            dangling.append((name, rtype, value, owner))
    return dangling
