"""Serializer fields whose ranges the database and the date arithmetic behind them can hold.

An id beyond bigint reaches the database driver and overflows there (SQLite: OverflowError); a date near year
9999 overflows as soon as a service adds a day to it. Both were 500s; these fields make them 400s naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Primary keys are BigAutoField: a signed 64-bit integer on every database we run on.
ID_MAX = 2**63 - 1

# Every date the API takes (billing runs, issue and due dates, mandates, autoresponders) falls in this range.
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An integer naming a row by its id."""
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


class BoundedDateField(serializers.DateField):
    """A date from DATE_MIN to DATE_MAX."""

    default_error_messages = {
        "out_of_range": f"Give a date from {DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}.",
    }

    def __init__(self, **kwargs: Any) -> None:
        help_text = kwargs.pop("help_text", "")
        limits = f"From {DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}."
        super().__init__(help_text=f"{help_text} {limits}".strip(), **kwargs)

    def to_internal_value(self, value: Any) -> date:
        parsed: date = super().to_internal_value(value)
        if not DATE_MIN <= parsed <= DATE_MAX:
            self.fail("out_of_range")
        return parsed


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A related object named by its id: a whole number within bigint (or its digits as a string).

    Floats are refused instead of truncated (1.5 named object 1), and ids out of range are simply not found,
    instead of reaching the database (1e400 overflowed in the driver).
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, float):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, int) and not isinstance(data, bool) and not 1 <= data <= ID_MAX:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


@extend_schema_field({"oneOf": [{"type": "string", "format": "email"}, {"type": "string", "maxLength": 0}]})
class BlankableEmailField(serializers.EmailField):
    """An email address, or empty where the model allows it (users' `email`): the schema says both, since a
    plain EmailField documents `format: email`, which "" is not."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)
