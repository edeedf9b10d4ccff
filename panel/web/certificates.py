"""Checking an uploaded certificate where it enters: a PEM certificate, its chain and its private key, each refused
with a 400 naming its field. Parsed with `cryptography`; nothing here is ever logged."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from panel.core.errors import ValidationFailed

CERTIFICATE_MAX = 16_384
CHAIN_MAX = 65_536
CHAIN_CERTIFICATES_MAX = 8
KEY_MAX = 16_384
RSA_BITS_MIN = 2048
CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)
_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


@dataclass(frozen=True)
class CheckedCertificate:
    certificate: str  # the leaf, PEM
    chain: str  # the intermediates in order, PEM (may be empty)
    key: str  # PKCS#8 PEM, unencrypted: the caller encrypts it before storing
    names: tuple[str, ...]
    issuer: str
    not_before: datetime
    not_after: datetime
    fingerprint: str  # SHA-256 of the leaf, hex with colons


def _pem_blocks(text: str, field: str, limit: int) -> list[x509.Certificate]:
    if not isinstance(text, str) or len(text) > limit:
        raise ValidationFailed(f"At most {limit} characters of PEM.", field=field)
    blocks = _PEM_CERTIFICATE.findall(text)
    leftover = _PEM_CERTIFICATE.sub("", text).strip()
    if leftover:
        raise ValidationFailed("Only PEM certificates (BEGIN CERTIFICATE blocks) belong here.", field=field)
    try:
        return [x509.load_pem_x509_certificate(block.encode()) for block in blocks]
    except ValueError as error:
        raise ValidationFailed("A certificate here does not parse.", field=field) from error


def _leaf(text: str) -> x509.Certificate:
    certificates = _pem_blocks(text, "certificate", CERTIFICATE_MAX)
    if len(certificates) != 1:
        raise ValidationFailed(
            "Exactly one certificate: the site's own (its chain goes in `chain`).", field="certificate"
        )
    return certificates[0]


def _key(text: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if not isinstance(text, str) or not text.strip() or len(text) > KEY_MAX:
        raise ValidationFailed(f"The private key, PEM, at most {KEY_MAX} characters.", field="key")
    if "ENCRYPTED" in text:
        raise ValidationFailed("The key is protected by a passphrase: upload it without one.", field="key")
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except TypeError as error:
        raise ValidationFailed("The key is protected by a passphrase: upload it without one.", field="key") from error
    except ValueError as error:
        raise ValidationFailed("The private key does not parse (PEM, RSA or ECDSA).", field="key") from error
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < RSA_BITS_MIN:
            raise ValidationFailed(f"An RSA key has at least {RSA_BITS_MIN} bits.", field="key")
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, CURVES):
        return key
    raise ValidationFailed("Only RSA keys and ECDSA keys on P-256, P-384 or P-521.", field="key")


def _public(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def certificate_names(certificate: x509.Certificate) -> tuple[str, ...]:
    """Its DNS names: the subjectAltName's, or (only without one) the common name, lowercase."""
    try:
        extension = certificate.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        names = extension.value.get_values_for_type(x509.DNSName)  # type: ignore[attr-defined]
    except x509.ExtensionNotFound:
        names = [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return tuple(sorted({str(name).lower().rstrip(".") for name in names}))


def covers(name: str, domain: str) -> bool:
    """RFC 6125: a name matches itself; `*.example.com` matches exactly one label in its place."""
    if name == domain:
        return True
    if not name.startswith("*."):
        return False
    head, _, rest = domain.partition(".")
    return bool(head) and rest == name[2:] and "*" not in rest


def _check_chain(leaf: x509.Certificate, chain: list[x509.Certificate]) -> None:
    """Each certificate is issued by the next one: the chain in order up to the leaf's issuer."""
    for child, parent in zip([leaf, *chain], chain, strict=False):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature) as error:
            raise ValidationFailed(
                f"The chain is not in order: {parent.subject.rfc4514_string()} did not issue "
                f"{child.subject.rfc4514_string()}. Put the leaf's issuer first, then its issuer, and so on.",
                field="chain",
            ) from error


def check_certificate(
    *, certificate: str, chain: str, key: str, domains: list[str], now: datetime
) -> CheckedCertificate:
    """The upload for a site with `domains`, checked; a ValidationFailed names the field at fault."""
    leaf = _leaf(certificate)
    intermediates = _pem_blocks(chain or "", "chain", CHAIN_MAX)
    if len(intermediates) > CHAIN_CERTIFICATES_MAX:
        raise ValidationFailed(f"At most {CHAIN_CERTIFICATES_MAX} certificates in the chain.", field="chain")
    private_key = _key(key)
    if _public(private_key.public_key()) != _public(leaf.public_key()):
        raise ValidationFailed("The key does not belong to this certificate.", field="key")
    if now < leaf.not_valid_before_utc:
        raise ValidationFailed("The certificate is not valid yet.", field="certificate")
    if now >= leaf.not_valid_after_utc:
        raise ValidationFailed("The certificate has expired.", field="certificate")
    names = certificate_names(leaf)
    uncovered = [domain for domain in domains if not any(covers(name, domain) for name in names)]
    if uncovered:
        raise ValidationFailed(
            f"The certificate does not cover {', '.join(uncovered[:5])} "
            f"(it names {', '.join(names[:10]) or 'nothing'}).",
            field="certificate",
        )
    _check_chain(leaf, intermediates)
    pem = serialization.Encoding.PEM
    return CheckedCertificate(
        certificate=leaf.public_bytes(pem).decode(),
        chain="".join(c.public_bytes(pem).decode() for c in intermediates),
        key=private_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(),
        names=names,
        issuer=leaf.issuer.rfc4514_string(),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        fingerprint=leaf.fingerprint(hashes.SHA256()).hex(":").upper(),
    )
