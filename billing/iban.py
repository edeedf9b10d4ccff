"""IBAN and BIC checks: pure functions, no database.

An IBAN is normalised (spaces removed, upper case), then checked for a known SEPA country, that country's
length and the ISO 7064 mod-97 check digits. Countries outside the table are refused: the panel only collects
SEPA direct debits.
"""

from __future__ import annotations

import re

from panel.core.errors import ValidationFailed

# IBAN length per SEPA country (ISO 13616 registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
    "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}  # fmt: skip

_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+")
_BIC_SHAPE = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?")


def normalise_iban(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def iban_checksum_ok(iban: str) -> bool:
    """ISO 7064 mod 97-10: the country code and check digits move to the end, letters become 10..35."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def validate_iban(value: str, *, field: str = "iban") -> str:
    """The normalised IBAN, or ValidationFailed naming `field`."""
    iban = normalise_iban(value)
    if not iban:
        raise ValidationFailed("An IBAN is required for a SEPA direct debit mandate.", field=field, code="required")
    country = iban[:2]
    if country not in IBAN_LENGTHS:
        raise ValidationFailed(f"'{country}' is not a SEPA country code.", field=field, code="iban_country")
    if len(iban) != IBAN_LENGTHS[country] or not _IBAN_SHAPE.fullmatch(iban):
        raise ValidationFailed(
            f"An IBAN from {country} has {IBAN_LENGTHS[country]} letters and digits, not {len(iban)}.",
            field=field,
            code="iban_length",
        )
    if not iban_checksum_ok(iban):
        raise ValidationFailed("The IBAN's check digits are wrong; please check for a typo.", field=field, code="iban")
    return iban


def validate_bic(value: str, *, field: str = "bic") -> str:
    """The normalised BIC (8 or 11 characters), empty if none was given."""
    bic = normalise_iban(value)
    if bic and not _BIC_SHAPE.fullmatch(bic):
        raise ValidationFailed(f"'{value}' is not a BIC (8 or 11 letters and digits).", field=field, code="bic")
    return bic


def mask_iban(iban: str) -> str:
    return "*" * max(len(iban) - 4, 0) + iban[-4:] if iban else ""
