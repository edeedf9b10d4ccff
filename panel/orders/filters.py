"""A catalogue service's match filter: a list of {field, operator, value} conditions, all of which must hold.

Fields come from the billable model's whitelist and operators from a fixed set, so a filter is data that is
checked and compared, never code that is run. The same filter works on one object (Python comparisons, when
an object changes) and on a queryset (Django lookups, for bulk reads).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db.models import Q

from panel.core.errors import ValidationFailed
from panel.orders.choices import Operator
from panel.orders.registry import Billable

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    Operator.GT: operator.gt,
    Operator.GTE: operator.ge,
    Operator.LT: operator.lt,
    Operator.LTE: operator.le,
}
_SCALARS = (str, int, float, bool)


def validate_match(conditions: Any, billable: Billable, *, field: str = "match") -> list[dict[str, Any]]:
    """Return the filter normalised, or raise ValidationFailed naming `match.<i>.<key>`."""
    if not isinstance(conditions, list):
        raise ValidationFailed("The match filter is a list of {field, operator, value} conditions.", field=field)
    cleaned = []
    for index, condition in enumerate(conditions):
        where = f"{field}.{index}"
        if not isinstance(condition, Mapping) or set(condition) - {"field", "operator", "value"}:
            raise ValidationFailed("Each condition has only 'field', 'operator' and 'value'.", field=where)
        name, op, value = condition.get("field"), condition.get("operator"), condition.get("value")
        if name not in billable.fields:
            allowed = ", ".join(sorted(billable.fields))
            raise ValidationFailed(f"Unknown field {name!r}; use one of: {allowed}.", field=f"{where}.field")
        if op not in Operator.values:
            raise ValidationFailed(
                f"Unknown operator {op!r}; use one of: {', '.join(Operator.values)}.", field=f"{where}.operator"
            )
        _check_value(op, value, f"{where}.value")
        cleaned.append({"field": name, "operator": op, "value": value})
    return cleaned


def _check_value(op: str, value: Any, field: str) -> None:
    if op == Operator.ISNULL:
        ok = isinstance(value, bool)
    elif op == Operator.IN:
        ok = isinstance(value, list) and all(isinstance(item, _SCALARS) for item in value)
    elif op in _COMPARE:
        ok = isinstance(value, (int, float, str)) and not isinstance(value, bool)
    else:
        ok = value is None or isinstance(value, _SCALARS)
    if not ok:
        raise ValidationFailed(f"This value does not fit the operator '{op}'.", field=field)


def matches(obj: Any, conditions: Sequence[Mapping[str, Any]]) -> bool:
    return all(_holds(getattr(obj, c["field"], None), c["operator"], c["value"]) for c in conditions)


def _holds(actual: Any, op: str, expected: Any) -> bool:
    if op == Operator.ISNULL:
        return (actual is None) == expected
    if op == Operator.EQ:
        return bool(actual == expected)
    if op == Operator.NE:
        return bool(actual != expected)
    if op == Operator.IN:
        return actual in expected
    if actual is None:
        return False
    try:
        return _COMPARE[op](actual, expected)
    except TypeError:
        return False  # e.g. a text field compared with a number: the condition simply does not hold


def match_q(conditions: Sequence[Mapping[str, Any]]) -> Q:
    query = Q()
    for c in conditions:
        name, op, value = c["field"], c["operator"], c["value"]
        if op == Operator.EQ:
            query &= Q(**{name: value})
        elif op == Operator.NE:
            query &= ~Q(**{name: value})
        else:
            query &= Q(**{f"{name}__{op}": value})
    return query
