"""The API's one request parser: JSON, refused before parsing when it nests deeper than any real request.

`json.loads` recurses once per nesting level, so a body of a few kilobytes of `[` reaches Python's recursion
limit and the request dies as a 500. A cheap scan that does not recurse counts the depth first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import accumulate
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

# The deepest object any endpoint takes is three levels (an account's contacts' usages); 64 leaves room.
MAX_JSON_DEPTH = 64

# Strings may hold brackets, which must not count. Once escapes are gone, quotes alternate between opening and
# closing a string, so the text outside strings is every other piece between quotes: linear, in C.
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
# +1 for an opening bracket, -1 for a closing one, so a running sum is the depth (map/accumulate/max run in C).
_STEP = tuple(1 if byte in b"[{" else -1 for byte in range(256))


def json_depth(raw: bytes) -> int:
    """How deep the brackets of a JSON text nest (0 for a scalar), ignoring those inside strings."""
    outside_strings = b"".join(_ESCAPE.sub(b"", raw).split(b'"')[::2])
    brackets = outside_strings.translate(None, _NOT_BRACKETS)
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets)), default=0))


class DepthLimitedJSONParser(JSONParser):
    """JSONParser that refuses bodies nested deeper than MAX_JSON_DEPTH (400, code `too_deep`)."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except ValueError as error:  # UnicodeDecodeError
            raise exceptions.ParseError(f"JSON parse error - {error}") from error
        # The scan reads bytes: UTF-8 keeps brackets, quotes and backslashes one byte each, whatever was sent.
        if json_depth(text.encode("utf-8", "surrogatepass")) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(
                f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.", code="too_deep"
            )
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as error:  # JSONDecodeError
            raise exceptions.ParseError(f"JSON parse error - {error}") from error
