"""One exception handler for the whole API, so every error has the same shape:

    {"detail": "handle: Enter a valid handle.", "code": "invalid", "fields": {"handle": ["Enter a valid handle."]}}

`detail` is a human sentence naming the field; `fields` lists every message per field (nested fields as
dotted paths such as `contacts.0.email`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from panel.core.errors import NON_FIELD, ApplicationError


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = NON_FIELD if key in {"non_field_errors", "__all__"} and not prefix else f"{prefix}{key}"
            flat.update(_flatten(value, f"{name}."))
        return flat
    if isinstance(detail, list) and detail and all(isinstance(item, (dict, list)) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}{index}."))
        return flat
    messages = [str(item) for item in detail] if isinstance(detail, list) else [str(detail)]
    return {prefix.rstrip(".") or NON_FIELD: messages} if messages else {}


def _body(fields: dict[str, list[str]], code: str) -> dict[str, Any]:
    field, messages = next(iter(fields.items()))
    prefix = "" if field == NON_FIELD else f"{field}: "
    return {"detail": f"{prefix}{messages[0]}", "code": code, "fields": fields}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = ApplicationError.from_django(exc)
    if isinstance(exc, ApplicationError):
        return Response(_body(exc.fields, exc.code), status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) or {NON_FIELD: ["Invalid input."]}
        response.data = _body(fields, "invalid")
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = {"detail": str(exc.detail), "code": code}
    return response
