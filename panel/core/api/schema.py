"""The OpenAPI schema tells every error an operation can answer, with its one body shape (the `Error` component).

drf-spectacular documents the success responses only; a client (or the contract test in tests/contract) then
meets 400s, 401s and 404s the schema never mentioned. Which errors an operation documents follows from what it
is: a body can be malformed, too large or of the wrong type, a path names an object that may not be found, an
authenticated endpoint can refuse the caller, a write can conflict with the current state, a throttled endpoint
can throttle.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from rest_framework import serializers
from rest_framework.permissions import AllowAny

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ERROR_DESCRIPTIONS = {
    "400": "Bad input: `fields` names each field at fault (a malformed or too deeply nested JSON body: `{}`).",
    "401": "Not authenticated: no credentials, or an invalid or revoked token.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "Not found: no such object, or not one the caller may see (also a page past the last).",
    "406": "The Accept header asks for something other than JSON.",
    "409": "Conflicts with the object's current state (e.g. being deleted, a name already taken).",
    "413": "The request body is larger than the server accepts.",
    "415": "The request body is not JSON (Content-Type: application/json).",
    "429": "Too many requests; retry after the seconds in Retry-After.",
}


class ErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Every error response: a sentence, a stable code, and the messages per field (`{}` when about the request
    as a whole). Nested fields are dotted paths such as `contacts.0.email`."""

    detail = serializers.CharField(help_text="A human sentence; names the first field at fault, if any.")
    code = serializers.CharField(help_text="A stable machine word: invalid, not_found, conflict, too_large, ...")
    # The metaclass moves declared fields out of the class, so this does not shadow Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), help_text="Messages per field; may be empty."
    )

    class Meta:
        ref_name = "Error"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses of every operation."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_codes():
            error = self._get_response_for_code(ErrorSerializer, code, direction=direction)  # type: ignore[no-untyped-call]
            if code not in responses:
                responses[code] = {**error, "description": ERROR_DESCRIPTIONS[code]}
            elif "content" not in responses[code]:  # documented by the view with a description only
                responses[code]["content"] = error["content"]
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[str]:
        has_body = self.method in {"POST", "PUT", "PATCH"} and self._get_request_body() is not None  # type: ignore[no-untyped-call]
        path_has_params = "{" in self.path
        authenticated = not any(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        codes = ["406"]
        if has_body or self.method in UNSAFE_METHODS or self._get_parameters():
            codes.append("400")
        if authenticated:
            codes += ["401", "403"]
        if path_has_params or self._is_list_view():
            codes.append("404")
        if self.method in UNSAFE_METHODS:
            codes.append("409")
        if has_body:
            codes += ["413", "415"]
        if self.view.get_throttles():
            codes.append("429")
        return codes
