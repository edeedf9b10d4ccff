import pytest
from django.core.exceptions import ValidationError

from panel.dns.validators import (
    check_record_set,
    normalize_record_name,
    normalize_record_value,
    normalize_zone_name,
    validate_ttl,
)

ZONE = "example.org"
# Longest names that fit in 253 characters, and one character more.
NAME_253 = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 57, "org"])
NAME_254 = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 58, "org"])
# Relative names whose full name in example.org is 253 and 254 characters long.
RELATIVE_241 = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 49])
RELATIVE_242 = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 50])

INJECTIONS = [
    "x\ny",
    'x"y',
    "x;y",
    "{{ x }}",
    "$INCLUDE /etc/passwd",
    "x\n$ORIGIN evil.",
    "x\x00y",
    "x\\y",
    "x\ty",
    "x\x7fy",
    "x\u2028y",
]


def test_the_fixture_names_have_the_intended_lengths() -> None:
    assert (len(NAME_253), len(NAME_254)) == (253, 254)
    assert (len(f"{RELATIVE_241}.{ZONE}"), len(f"{RELATIVE_242}.{ZONE}")) == (253, 254)


def _field_codes(exc: ValidationError) -> dict[str, list[str | None]]:
    return {field: [error.code for error in errors] for field, errors in exc.error_dict.items()}


# Zone names


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("example.org", "example.org"),
        ("Example.ORG", "example.org"),
        ("example.org.", "example.org"),
        ("  example.org  ", "example.org"),
        ("sub.example.co.uk", "sub.example.co.uk"),
        ("my-shop.example", "my-shop.example"),
        ("1und1.de", "1und1.de"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("MÜNCHEN.DE.", "xn--mnchen-3ya.de"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        # Fullwidth letters and the ideographic full stop fold to ASCII under IDNA.
        ("\uff41\uff42\uff43\u3002de", "abc.de"),
        (NAME_253, NAME_253),
        (NAME_253 + ".", NAME_253),
    ],
)
def test_zone_names_are_normalized(value: str, expected: str) -> None:
    assert normalize_zone_name(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        ".",
        "org",
        "org.",
        "localhost",
        "example..org",
        ".example.org",
        "example.org..",
        "-example.org",
        "example-.org",
        "ex_ample.org",
        "exa mple.org",
        "*.example.org",
        "@",
        "example.org/x",
        "1.2.3.4",
        "example.123",
        "a" * 64 + ".org",
        NAME_254,
        "xn--zz9.de",
        "example.org\n",
        "\nexample.org",
        *(f"{payload}.example.org" for payload in INJECTIONS),
        *(f"example.org{payload}" for payload in INJECTIONS),
    ],
)
def test_invalid_zone_names_are_refused(value: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        normalize_zone_name(value)
    assert excinfo.value.code == "invalid"


# Record names


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "@"),
        ("@", "@"),
        (" @ ", "@"),
        ("www", "www"),
        ("WWW", "www"),
        ("mail-1", "mail-1"),
        ("a.b", "a.b"),
        ("example.org.", "@"),
        ("EXAMPLE.ORG.", "@"),
        ("www.example.org.", "www"),
        ("A.B.Example.Org.", "a.b"),
        # Without a trailing dot a name is relative, as in a zone file.
        ("www.example.org", "www.example.org"),
        ("*", "*"),
        ("*.dev", "*.dev"),
        ("*.example.org.", "*"),
        ("_sip._tcp", "_sip._tcp"),
        ("_dmarc", "_dmarc"),
        ("selector1._domainkey", "selector1._domainkey"),
        ("münchen", "xn--mnchen-3ya"),
        ("Büro.example.org.", "xn--bro-hoa"),
        ("a" * 63, "a" * 63),
        (RELATIVE_241, RELATIVE_241),
        (f"{RELATIVE_241}.example.org.", RELATIVE_241),
    ],
)
def test_record_names_become_relative_to_the_zone(value: str, expected: str) -> None:
    assert normalize_record_name(value, ZONE) == expected


def test_record_names_in_an_idn_zone() -> None:
    assert normalize_record_name("www.münchen.de.", "münchen.de") == "www"
    assert normalize_record_name("www.xn--mnchen-3ya.de.", "xn--mnchen-3ya.de") == "www"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("www.other.org.", "outside_zone"),
        ("notexample.org.", "outside_zone"),
        ("org.", "outside_zone"),
        ("*.", "outside_zone"),
        (".", "invalid"),
        ("@.", "invalid"),
        ("@.www", "invalid"),
        ("www..", "invalid"),
        ("a..b", "invalid"),
        (".www", "invalid"),
        ("www.*", "invalid"),
        ("w*w", "invalid"),
        ("*w", "invalid"),
        ("*.*", "invalid"),
        ("-www", "invalid"),
        ("www-", "invalid"),
        ("w w", "invalid"),
        ("a" * 64, "invalid"),
        (RELATIVE_242, "invalid"),
        (f"{RELATIVE_242}.example.org.", "invalid"),
        ("www\n", "invalid"),
        *((f"www{payload}", "invalid") for payload in INJECTIONS),
    ],
)
def test_invalid_record_names_name_the_reason(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        normalize_record_name(value, ZONE)
    assert excinfo.value.code == code


# TTL


@pytest.mark.parametrize("value", [60, 300, 3600, 86400, 604800])
def test_ttls_in_range_are_returned(value: int) -> None:
    assert validate_ttl(value) == value


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (59, "out_of_range"),
        (0, "out_of_range"),
        (-3600, "out_of_range"),
        (604801, "out_of_range"),
        (10**30, "out_of_range"),
        (True, "invalid"),
        ("3600", "invalid"),
        (3600.0, "invalid"),
        (None, "invalid"),
    ],
)
def test_ttls_out_of_range_are_refused(value: object, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_ttl(value)  # type: ignore[arg-type]
    assert excinfo.value.code == code


# Record values


@pytest.mark.parametrize(
    ("rtype", "value", "expected"),
    [
        ("A", "192.0.2.1", "192.0.2.1"),
        ("A", "  192.0.2.1 ", "192.0.2.1"),
        ("A", "0.0.0.0", "0.0.0.0"),
        ("AAAA", "2001:db8::1", "2001:db8::1"),
        ("AAAA", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("AAAA", "2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"),
        ("CNAME", "www", "www"),
        ("CNAME", "@", "@"),
        ("CNAME", "Host.Example.COM.", "host.example.com."),
        ("CNAME", "münchen.de.", "xn--mnchen-3ya.de."),
        ("CNAME", "_acme-challenge.example.net.", "_acme-challenge.example.net."),
        ("CNAME", "localhost.", "localhost."),
        ("NS", "ns1.example.net.", "ns1.example.net."),
        ("NS", "NS1", "ns1"),
        ("MX", "10 mail", "10 mail"),
        ("MX", "  10    Mail.Example.COM. ", "10 mail.example.com."),
        ("MX", "010 mail", "10 mail"),
        ("MX", "0 @", "0 @"),
        ("MX", "65535 mx.example.net.", "65535 mx.example.net."),
        ("MX", "0 .", "0 ."),
        ("SRV", "10 5 5060 sip.example.org.", "10 5 5060 sip.example.org."),
        ("SRV", "10  5  5060  SIP", "10 5 5060 sip"),
        ("SRV", "0 0 0 .", "0 0 0 ."),
        ("SRV", "65535 65535 65535 host", "65535 65535 65535 host"),
        ("CAA", '0 issue "letsencrypt.org"', '0 issue "letsencrypt.org"'),
        ("CAA", "0 ISSUE LetsEncrypt.org", '0 issue "letsencrypt.org"'),
        ("CAA", '0 issuewild "sectigo.com."', '0 issuewild "sectigo.com"'),
        ("CAA", '0 issue ";"', '0 issue ";"'),
        ("CAA", "0 issuewild ;", '0 issuewild ";"'),
        ("CAA", '128 iodef "mailto:security@example.org"', '128 iodef "mailto:security@example.org"'),
        ("CAA", "0 iodef https://example.org/caa-report", '0 iodef "https://example.org/caa-report"'),
        ("CAA", "255 iodef http://example.org", '255 iodef "http://example.org"'),
        ("TXT", "v=spf1 mx -all", "v=spf1 mx -all"),
        ("TXT", '  say "hi"; \\ $INCLUDE (x) ', '  say "hi"; \\ $INCLUDE (x) '),
        ("TXT", "Grüße 🙂 — ok", "Grüße 🙂 — ok"),
        ("TXT", "ü" * 2000, "ü" * 2000),
    ],
)
def test_record_values_are_normalized(rtype: str, value: str, expected: str) -> None:
    assert normalize_record_value(rtype, value, zone=ZONE) == expected


@pytest.mark.parametrize(
    ("rtype", "value", "code"),
    [
        ("A", "", "required"),
        ("A", "   ", "required"),
        ("A", "010.0.0.1", "invalid"),
        ("A", "256.0.0.1", "invalid"),
        ("A", "192.0.2", "invalid"),
        ("A", "192.0.2.1 192.0.2.2", "invalid"),
        ("A", "\uff12.0.0.1", "invalid"),
        ("A", "2001:db8::1", "invalid"),
        ("AAAA", "192.0.2.1", "invalid"),
        ("AAAA", "2001:db8::g", "invalid"),
        ("AAAA", "fe80::1%eth0", "invalid"),
        ("CNAME", ".", "invalid"),
        ("CNAME", "*.example.org.", "invalid"),
        ("CNAME", "-host", "invalid"),
        ("CNAME", "a" * 64, "invalid"),
        ("CNAME", RELATIVE_242, "invalid"),
        ("CNAME", NAME_254 + ".", "invalid"),
        ("CNAME", "two words", "invalid"),
        ("NS", "@", "invalid"),
        ("NS", "ns1..example.net.", "invalid"),
        ("MX", "mail", "invalid"),
        ("MX", "10", "invalid"),
        ("MX", "10 mail extra", "invalid"),
        ("MX", "-1 mail", "invalid"),
        ("MX", "ten mail", "invalid"),
        ("MX", "65536 mail", "out_of_range"),
        ("MX", "99999999999999999999 mail", "out_of_range"),
        ("MX", "10 .", "invalid"),
        ("MX", "10 *.example.org.", "invalid"),
        ("SRV", "10 5 sip", "invalid"),
        ("SRV", "10 5 5060 sip extra", "invalid"),
        ("SRV", "x 5 5060 sip", "invalid"),
        ("SRV", "65536 5 5060 sip", "out_of_range"),
        ("SRV", "10 65536 5060 sip", "out_of_range"),
        ("SRV", "10 5 65536 sip", "out_of_range"),
        ("SRV", "10 5 5060 *", "invalid"),
        ("CAA", "0 issue", "invalid"),
        ("CAA", "0 issue letsencrypt.org extra", "invalid"),
        ("CAA", "256 issue letsencrypt.org", "out_of_range"),
        ("CAA", "x issue letsencrypt.org", "invalid"),
        ("CAA", "0 tbs letsencrypt.org", "invalid"),
        ("CAA", '0 issue ""', "invalid"),
        ("CAA", '0 issue "org"', "invalid"),
        ("CAA", '0 issue "letsencrypt.org', "forbidden_character"),
        ("CAA", '0 issue "lets"encrypt.org"', "forbidden_character"),
        ("CAA", '0 issue "letsencrypt.org\\"', "forbidden_character"),
        ("CAA", '0 issue "letsencrypt.org;"', "forbidden_character"),
        ("CAA", '0 issue ";;"', "forbidden_character"),
        ("CAA", '0 issue "$INCLUDE"', "forbidden_character"),
        ("CAA", '0 iodef "https://example.org/(x)"', "forbidden_character"),
        ("CAA", '0 iodef "mailto:nobody"', "invalid"),
        ("CAA", '0 iodef "ftp://example.org/"', "invalid"),
        ("CAA", '0 iodef ";"', "forbidden_character"),
        ("CAA", '0 issue "{{ x }}"', "template"),
        ("CAA", '0 issue "letsencrypt.org"\n$ORIGIN evil.', "control_character"),
        ("TXT", "", "required"),
        ("TXT", "ü" * 2001, "max_length"),
        ("TXT", "x" * 4001, "max_length"),
    ],
)
def test_invalid_record_values_name_the_reason(rtype: str, value: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        normalize_record_value(rtype, value, zone=ZONE)
    assert _field_codes(excinfo.value) == {"value": [code]}


_INJECTION_CODES = {
    "x\ny": "control_character",
    'x"y': "forbidden_character",
    "x;y": "forbidden_character",
    "{{ x }}": "template",
    "$INCLUDE /etc/passwd": "forbidden_character",
    "x\n$ORIGIN evil.": "control_character",
    "x\x00y": "control_character",
    "x\\y": "forbidden_character",
    "x\ty": "control_character",
    "x\x7fy": "control_character",
    "x\u2028y": "control_character",
}


# A valid value of each type, so only the appended payload can be the reason for refusal.
_VALID_VALUES = {
    "A": "192.0.2.1",
    "AAAA": "2001:db8::1",
    "CNAME": "www",
    "NS": "ns1.example.net.",
    "MX": "10 mail",
    "SRV": "10 5 5060 sip",
}


@pytest.mark.parametrize("rtype", sorted(_VALID_VALUES))
@pytest.mark.parametrize("payload", INJECTIONS)
def test_zone_file_syntax_is_refused_in_values(rtype: str, payload: str) -> None:
    assert normalize_record_value(rtype, _VALID_VALUES[rtype], zone=ZONE) == _VALID_VALUES[rtype]
    with pytest.raises(ValidationError) as excinfo:
        normalize_record_value(rtype, _VALID_VALUES[rtype] + payload, zone=ZONE)
    assert _field_codes(excinfo.value) == {"value": [_INJECTION_CODES[payload]]}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("v=spf1\n$ORIGIN evil.", "control_character"),
        ("line\r\n", "control_character"),
        ("v=spf1 -all\n", "control_character"),
        ("a\x00b", "control_character"),
        ("a\tb", "control_character"),
        ("a\x1bb", "control_character"),
        ("a\x7fb", "control_character"),
        ("a\x85b", "control_character"),
        ("a\u2029b", "control_character"),
        ("a\ud800b", "control_character"),
        ("{{ lookup('pipe', 'id') }}", "template"),
        ("{% raw %}", "template"),
        ("{# x #}", "template"),
    ],
)
def test_txt_refuses_control_characters_and_template_markers(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        normalize_record_value("TXT", value, zone=ZONE)
    assert _field_codes(excinfo.value) == {"value": [code]}


@pytest.mark.parametrize("rtype", ["", "a", "PTR", "SOA", "ANY", "A ", "TXT\n"])
def test_unknown_record_types_are_reported_on_the_type_field(rtype: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        normalize_record_value(rtype, "192.0.2.1", zone=ZONE)
    assert _field_codes(excinfo.value) == {"type": ["unknown_type"]}


def test_relative_targets_are_checked_against_the_zone_length() -> None:
    long_zone = "z" * 63 + ".example.org"
    assert normalize_record_value("CNAME", "a" * 63, zone=ZONE) == "a" * 63
    with pytest.raises(ValidationError) as excinfo:
        normalize_record_value("CNAME", RELATIVE_241, zone=long_zone)
    assert _field_codes(excinfo.value) == {"value": ["invalid"]}


# Record sets


@pytest.mark.parametrize(
    "records",
    [
        [],
        [("@", "A", "192.0.2.1")],
        [
            ("@", "A", "192.0.2.1"),
            ("@", "A", "192.0.2.2"),
            ("@", "MX", "10 mail"),
            ("@", "TXT", "v=spf1 mx -all"),
            ("@", "NS", "ns1.example.net."),
            ("mail", "A", "192.0.2.3"),
            ("www", "CNAME", "@"),
            ("ftp", "CNAME", "www"),
            ("*", "A", "192.0.2.1"),
            ("*.dev", "CNAME", "www"),
        ],
        [("www", "TXT", "a"), ("www", "TXT", "A")],
        [("www", "A", "192.0.2.1"), ("www2", "A", "192.0.2.1")],
    ],
)
def test_consistent_record_sets_pass(records: list[tuple[str, str, str]]) -> None:
    check_record_set(records)


@pytest.mark.parametrize(
    ("records", "field", "code"),
    [
        ([("@", "CNAME", "www.example.net.")], "type", "cname_at_apex"),
        ([("www", "A", "192.0.2.1"), ("@", "CNAME", "www")], "type", "cname_at_apex"),
        ([("www", "CNAME", "@"), ("www", "A", "192.0.2.1")], "name", "cname_conflict"),
        ([("www", "TXT", "x"), ("www", "CNAME", "@")], "name", "cname_conflict"),
        ([("www", "CNAME", "@"), ("www", "CNAME", "host.example.net.")], "name", "cname_conflict"),
        ([("*", "CNAME", "@"), ("*", "MX", "10 mail")], "name", "cname_conflict"),
        ([("@", "A", "192.0.2.1"), ("@", "A", "192.0.2.1")], "value", "duplicate"),
        ([("www", "CNAME", "@"), ("www", "CNAME", "@")], "value", "duplicate"),
        ([("@", "TXT", "v=spf1 -all"), ("mail", "A", "192.0.2.1"), ("@", "TXT", "v=spf1 -all")], "value", "duplicate"),
    ],
)
def test_inconsistent_record_sets_name_the_field(records: list[tuple[str, str, str]], field: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        check_record_set(records)
    assert _field_codes(excinfo.value) == {field: [code]}
