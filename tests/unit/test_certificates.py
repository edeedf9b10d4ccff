"""Uploaded certificates checked where they enter: each bad upload is refused naming its field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from panel.core.errors import ValidationFailed
from panel.web.certificates import check_certificate, covers
from tests.certs import chain_of, issue, new_key

NOW = datetime.now(UTC)
ROOT = issue("Test Root CA", ca=True, days=3650)
INTERMEDIATE = issue("Test Intermediate", issuer=ROOT, ca=True, days=365)


def leaf(names: list[str], **options: object) -> object:
    return issue(names[0] if names else "x", names=names, issuer=INTERMEDIATE, **options)  # type: ignore[arg-type]


def check(certificate: str, key: str, domains: list[str], chain: str = "") -> object:
    return check_certificate(certificate=certificate, chain=chain, key=key, domains=domains, now=NOW)


def refused(field: str, **upload: object) -> str:
    with pytest.raises(ValidationFailed) as error:
        check(**upload)  # type: ignore[arg-type]
    assert list(error.value.fields) == [field], error.value.fields
    return error.value.message


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_a_good_upload_is_described_and_its_key_normalized(kind: str) -> None:
    site = leaf(["shop.example", "*.shop.example"], key=new_key(kind))
    checked = check(site.certificate_pem, site.key_pem(), ["shop.example", "www.shop.example"], chain_of(INTERMEDIATE))
    assert checked.names == ("*.shop.example", "shop.example")
    assert checked.issuer == "CN=Test Intermediate"
    assert checked.key.startswith("-----BEGIN PRIVATE KEY-----")
    assert len(checked.fingerprint.split(":")) == 32


def test_the_chain_may_be_empty_when_the_issuer_is_a_root() -> None:
    site = issue("shop.example", names=["shop.example"], issuer=ROOT)
    assert check(site.certificate_pem, site.key_pem(), ["shop.example"]).chain == ""


@pytest.mark.parametrize(
    ("name", "domain", "matches"),
    [
        ("shop.example", "shop.example", True),
        ("*.shop.example", "www.shop.example", True),
        ("*.shop.example", "shop.example", False),
        ("*.shop.example", "a.b.shop.example", False),
        ("*.example", "x.shop.example", False),
        ("www.shop.example", "shop.example", False),
    ],
)
def test_names_cover_domains_by_the_rfc_6125_rule(name: str, domain: str, matches: bool) -> None:
    assert covers(name, domain) is matches


def test_a_name_the_certificate_does_not_cover_is_refused() -> None:
    site = leaf(["*.shop.example"])
    message = refused(
        "certificate", certificate=site.certificate_pem, key=site.key_pem(), domains=["shop.example"],
        chain=chain_of(INTERMEDIATE),
    )  # fmt: skip
    assert "does not cover shop.example" in message


def test_a_key_of_another_certificate_is_refused() -> None:
    site, other = leaf(["shop.example"]), leaf(["shop.example"])
    refused("key", certificate=site.certificate_pem, key=other.key_pem(), domains=["shop.example"])


def test_a_passphrase_protected_key_is_refused() -> None:
    site = leaf(["shop.example"])
    message = refused("key", certificate=site.certificate_pem, key=site.key_pem(b"secret"), domains=["shop.example"])
    assert "passphrase" in message


def test_a_short_rsa_key_is_refused() -> None:
    site = leaf(["shop.example"], key=new_key("rsa1024"))
    refused("key", certificate=site.certificate_pem, key=site.key_pem(), domains=["shop.example"])


def test_expired_and_not_yet_valid_certificates_are_refused() -> None:
    old = leaf(["shop.example"], not_before=NOW - timedelta(days=40), days=30)
    assert "expired" in refused("certificate", certificate=old.certificate_pem, key=old.key_pem(), domains=[])
    future = leaf(["shop.example"], not_before=NOW + timedelta(days=2))
    assert "not valid yet" in refused(
        "certificate", certificate=future.certificate_pem, key=future.key_pem(), domains=[]
    )


def test_a_chain_out_of_order_or_of_another_issuer_is_refused() -> None:
    site = leaf(["shop.example"])
    upload = {"certificate": site.certificate_pem, "key": site.key_pem(), "domains": ["shop.example"]}
    assert "not in order" in refused("chain", **upload, chain=chain_of(ROOT, INTERMEDIATE))
    refused("chain", **upload, chain=chain_of(issue("Other CA", ca=True)))
    check(**upload, chain=chain_of(INTERMEDIATE, ROOT))  # up to the root is fine


@pytest.mark.parametrize(
    ("field", "certificate", "chain", "key"),
    [
        ("certificate", "", "", None),
        ("certificate", "not a certificate", "", None),
        ("certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "", None),
        ("certificate", None, "", None),  # two certificates in the certificate field (filled below)
        ("certificate", "x" * 20_000, "", None),
        ("chain", "VALID", "garbage", None),
        ("key", "VALID", "", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        ("key", "VALID", "", ""),
    ],
)
def test_malformed_uploads_are_refused_naming_the_field(
    field: str, certificate: str | None, chain: str, key: str | None
) -> None:
    site = leaf(["shop.example"])
    if certificate is None:
        certificate = site.certificate_pem + INTERMEDIATE.certificate_pem
    elif certificate == "VALID":
        certificate = site.certificate_pem
    refused(field, certificate=certificate, chain=chain, key=site.key_pem() if key is None else key, domains=[])
