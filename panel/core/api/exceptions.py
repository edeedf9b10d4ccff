"""One exception handler for the whole API, so every error has the same shape:

    {"detail": "handle: Enter a valid handle.", "code": "invalid", "fields": {"handle": ["Enter a valid handle."]}}

`detail` is a human sentence naming the field; `code` a stable machine word; `fields` lists every message per
field (nested fields as dotted paths such as `contacts.0.email`), and is `{}` when the error is about the
request as a whole (authentication, permission, not found, method, media type, size, throttling, parsing).

Errors Django answers before or after DRF (unknown URLs, bodies too large for Django, uncaught exceptions) get
the same shape from the handler400/403/404/500 views below, for URLs under /api/ only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from panel.core.errors import NON_FIELD, ApplicationError

API_PREFIX = "/api/"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


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


def error_body(detail: str, code: str) -> dict[str, Any]:
    """The shape of an error about the request as a whole."""
    return {"detail": detail, "code": code, "fields": {}}


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = ApplicationError.from_django(exc)
    if isinstance(exc, ApplicationError):
        return Response(_body(exc.fields, exc.code), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()  # "Not found.", not Django's "No Zone matches the given query."
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) or {NON_FIELD: ["Invalid input."]}
        response.data = _body(fields, "invalid")
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.APIException):
        response.data = error_body(str(exc.detail), _code(exc))
    return response


# Django-level errors for API URLs -------------------------------------------------------------------------


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)  # type: ignore[arg-type]
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(error_body(PayloadTooLarge.default_detail, "too_large"), status=413)
    return JsonResponse(error_body("Bad request.", "bad_request"), status=400)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)  # type: ignore[arg-type]
    body = error_body("You do not have permission to perform this action.", "permission_denied")
    return JsonResponse(body, status=403)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)  # type: ignore[arg-type]
    return JsonResponse(error_body("Not found.", "not_found"), status=404)


def handler500(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(error_body("Server error.", "server_error"), status=500)
