"""SEPA direct debit batches: the pain.008.001.02 CustomerDirectDebitInitiation message, from plain data.

`build_pain008` writes the XML for one batch (one PmtInf per sequence type: first debits under a mandate are
FRST, later ones RCUR) and `validate_pain008` checks it against the published ISO 20022 schema, as shipped
in the `sepaxml` package from PyPI (only its schema file is used). Services in billing.payments choose the
transactions and change their states.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"
SCHEMA_PATH = resources.files("sepaxml") / "schemas" / "pain.008.001.02.xsd"
SEQUENCE_TYPES = ("FRST", "RCUR")


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    creditor_id: str


@dataclass(frozen=True)
class Debit:
    """One DrctDbtTxInf: what is collected from whom, under which mandate, for which invoice."""

    end_to_end_id: str
    amount: Decimal
    mandate_id: str
    signed_on: date
    debtor_name: str
    debtor_iban: str
    debtor_bic: str
    remittance: str
    sequence_type: str  # FRST or RCUR


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _text(value: str, limit: int) -> str:
    # SEPA caps names at 70 and references at 35/140 characters; the schema refuses empty text.
    return (value.strip() or "-")[:limit]


def _add(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", **attributes)
    if text is not None:
        element.text = text
    return element


def _path(parent: Any, tags: str, text: str) -> Any:
    """Nested elements "A/B/C" with `text` in the innermost one."""
    *outer, inner = tags.split("/")
    for tag in outer:
        parent = _add(parent, tag)
    return _add(parent, inner, text)


def _agent(parent: Any, tag: str, bic: str) -> None:
    institution = _add(_add(parent, tag), "FinInstnId")
    if bic:
        _add(institution, "BIC", bic)
    else:  # IBAN-only debits: the EPC rules ask for this placeholder instead of a BIC.
        _path(institution, "Othr/Id", "NOTPROVIDED")


def _payment_information(
    root: Any, pmt_inf_id: str, creditor: Creditor, collect_on: date, debits: Sequence[Debit]
) -> None:
    info = _add(root, "PmtInf")
    _add(info, "PmtInfId", _text(pmt_inf_id, 35))
    _add(info, "PmtMtd", "DD")
    _add(info, "NbOfTxs", str(len(debits)))
    _add(info, "CtrlSum", _amount(sum((debit.amount for debit in debits), Decimal(0))))
    kind = _add(info, "PmtTpInf")
    _path(kind, "SvcLvl/Cd", "SEPA")
    _path(kind, "LclInstrm/Cd", "CORE")
    _add(kind, "SeqTp", debits[0].sequence_type)
    _add(info, "ReqdColltnDt", collect_on.isoformat())
    _path(info, "Cdtr/Nm", _text(creditor.name, 70))
    _path(info, "CdtrAcct/Id/IBAN", creditor.iban)
    _agent(info, "CdtrAgt", creditor.bic)
    _add(info, "ChrgBr", "SLEV")
    scheme = _add(_add(_add(_add(info, "CdtrSchmeId"), "Id"), "PrvtId"), "Othr")
    _add(scheme, "Id", creditor.creditor_id)
    _path(scheme, "SchmeNm/Prtry", "SEPA")
    for debit in debits:
        transaction = _add(info, "DrctDbtTxInf")
        _path(transaction, "PmtId/EndToEndId", _text(debit.end_to_end_id, 35))
        _add(transaction, "InstdAmt", _amount(debit.amount), Ccy="EUR")
        mandate = _add(_add(transaction, "DrctDbtTx"), "MndtRltdInf")
        _add(mandate, "MndtId", debit.mandate_id)
        _add(mandate, "DtOfSgntr", debit.signed_on.isoformat())
        _agent(transaction, "DbtrAgt", debit.debtor_bic)
        _path(transaction, "Dbtr/Nm", _text(debit.debtor_name, 70))
        _path(transaction, "DbtrAcct/Id/IBAN", debit.debtor_iban)
        _path(transaction, "RmtInf/Ustrd", _text(debit.remittance, 140))


def build_pain008(
    *, message_id: str, created_at: datetime, creditor: Creditor, collect_on: date, debits: Sequence[Debit]
) -> bytes:
    """The pain.008.001.02 document for `debits`, grouped by sequence type (FRST before RCUR)."""
    if not debits:
        raise ValueError("a SEPA batch needs at least one debit")
    root = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
    initiation = _add(root, "CstmrDrctDbtInitn")
    header = _add(initiation, "GrpHdr")
    _add(header, "MsgId", _text(message_id, 35))
    _add(header, "CreDtTm", created_at.replace(microsecond=0, tzinfo=None).isoformat())
    _add(header, "NbOfTxs", str(len(debits)))
    _add(header, "CtrlSum", _amount(sum((debit.amount for debit in debits), Decimal(0))))
    _path(header, "InitgPty/Nm", _text(creditor.name, 70))
    for sequence_type in SEQUENCE_TYPES:
        group = [debit for debit in debits if debit.sequence_type == sequence_type]
        if group:
            _payment_information(initiation, f"{message_id}-{sequence_type}", creditor, collect_on, group)
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml


@cache
def _schema() -> Any:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def pain008_errors(xml: bytes) -> list[str]:
    """Every way `xml` breaks the pain.008.001.02 schema; empty when it is valid."""
    schema = _schema()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
