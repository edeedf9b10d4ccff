"""Validators every app shares for free text customers and staff type. Pure, no database.

Control characters make no sense in a name or a title and do harm downstream: a newline in a subject is a header
injection, an escape sequence in a name garbles an invoice or a terminal. Multi-line text keeps tab, newline and
carriage return (browsers send a textarea's line breaks as CRLF).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Unicode's control characters (category Cc) are exactly these: C0, DEL and C1.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@deconstructible
class NoControlCharacters:
    """Refuses Unicode control characters (category Cc: C0, DEL, C1); `multiline` allows tab, LF and CR."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: str) -> None:
        bad = (_CONTROL_MULTILINE if self.multiline else _CONTROL).search(value)
        if bad is not None:
            allowed_text = " (tabs and line breaks are fine)" if self.multiline else ""
            raise ValidationError(
                f"Control characters such as U+{ord(bad.group()):04X} are not allowed here{allowed_text}.",
                code="control_character",
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlCharacters) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash(self.multiline)


validate_single_line = NoControlCharacters(multiline=False)
validate_multiline = NoControlCharacters(multiline=True)
