"""Errors raised by service functions.

Services raise these instead of DRF or HTTP exceptions so they can be called from views, admin actions,
management commands and tasks alike; the API's exception handler maps them to status codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError

NON_FIELD = "non_field_errors"


class ApplicationError(Exception):
    """A request the domain refuses, with a human message and optionally the field it is about."""

    status_code = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        fields: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        if fields is not None:
            self.fields = {name: list(msgs) for name, msgs in fields.items()}
        else:
            self.fields = {field or NON_FIELD: [message]}

    @classmethod
    def from_django(cls, error: DjangoValidationError, *, prefix: str = "") -> ApplicationError:
        """Wrap a model `full_clean()` error, keeping the field each message belongs to.

        `prefix` places the fields of a nested object, e.g. "contacts.0." for the first contact of an account.
        """
        if hasattr(error, "error_dict"):
            fields = {
                (f"{prefix}{NON_FIELD}" if name == NON_FIELD_ERRORS else f"{prefix}{name}"): list(messages)
                for name, messages in error.message_dict.items()
            }
        else:
            fields = {f"{prefix}{NON_FIELD}" if prefix else NON_FIELD: list(error.messages)}
        first_field, first_messages = next(iter(fields.items()))
        prefix = "" if first_field == NON_FIELD else f"{first_field}: "
        return cls(f"{prefix}{first_messages[0]}", fields=fields)


class ValidationFailed(ApplicationError):
    """Input that breaks a rule of the domain (HTTP 400)."""


class Conflict(ApplicationError):
    """The request clashes with the current state, e.g. a duplicate or a state that forbids it (HTTP 409)."""

    status_code = 409
    default_code = "conflict"


class NotFound(ApplicationError):
    """The object does not exist or the actor may not see it (HTTP 404)."""

    status_code = 404
    default_code = "not_found"


class Forbidden(ApplicationError):
    """The actor is known but may not do this (HTTP 403)."""

    status_code = 403
    default_code = "forbidden"


def checked(field: str, validate: Callable[[Any], Any], value: Any) -> Any:
    """Run a Django validator on one input of a service: its refusal becomes a 400 naming `field` with the
    validator's code. Returns what the validator returned (a normalised value), else the value itself."""
    try:
        result = validate(value)
    except DjangoValidationError as error:
        raise ValidationFailed(" ".join(error.messages), field=field, code=error.code or "invalid") from error
    return value if result is None else result


def refuse(message: str) -> None:
    """For inline checks passed to `checked`: refuse with `message`."""
    raise DjangoValidationError(message, code="invalid")


def checked_fields(changes: Mapping[str, Any], checks: Mapping[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """`checked` for each of a service's keyword fields: a field without a check cannot be set there (400 naming
    it). Returns the values as the checks normalised them."""
    clean = {}
    for field, value in changes.items():
        if field not in checks:
            raise ValidationFailed(f"'{field}' cannot be changed here.", field=field)
        clean[field] = checked(field, checks[field], value)
    return clean


def one_of(values: Sequence[str]) -> Callable[[Any], None]:
    """A check for `checked`: the value is one of `values`."""

    def check(value: Any) -> None:
        if value not in values:
            refuse(f"Choose one of {', '.join(values)}.")

    return check


def boolean(value: Any) -> None:
    """A check for `checked`: true or false."""
    if not isinstance(value, bool):
        refuse("true or false.")
