"""Rendering host_vars: the JSON the roles read, with every customer string marked unsafe.

Renderers wrap strings that a customer typed in `unsafe()`. They are written as `{"__ansible_unsafe": "..."}`,
the marker Ansible's own JSON decoder turns into an unsafe string: Ansible never evaluates it as a template,
whatever it contains (the same as `!unsafe` in YAML).

JSON rather than YAML because of size: a mail server with 10,000 mailboxes has ~6 MB of host_vars, which
Ansible's YAML loader (it tags every scalar with its origin) reads in 5-15 s and PyYAML writes in ~5 s; JSON
takes ~1 s and 0.3 s. Indented one key per line, so `git log -p` of the desired state stays readable.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

UNSAFE_KEY = "__ansible_unsafe"
# An unsafe string is dumped as a JSON string behind this prefix (which json.dumps writes as \u0000\u0001),
# then the whole string is rewritten into its marker in one pass: cheaper than dumping a marker object per
# string, which json.dumps(indent=1) spreads over three lines that had to be joined again (10,000 mailboxes:
# 1.2 s instead of 1.8 s, the same text). A plain string beginning with these two control characters would
# come out unsafe, which is only stricter; renderers never produce one.
_PREFIX = "\x00\x01"
# Only at a string's opening quote, which indent=1 always puts after a space (a quote inside a string is escaped).
_PREFIXED = re.compile(r'(?<= )"\\u0000\\u0001((?:[^"\\]|\\.)*)"')


# A secret (a private key) is never written: the text carries `{"__baton_secret": "sha256:<digest>"}`, the same in
# the desired-state history, plans and the run's vars file; the run gets the values from the worker's memory
# (runner.py serves them to the collection's panel_vars plugin over a socket) and a changed secret shows as a
# changed digest.
SECRET_KEY = "__baton_secret"
_SECRET_PREFIX = "\x00\x02"
_SECRETED = re.compile(r'(?<= )"\\u0000\\u0002(sha256:[0-9a-f]{64})"')


class Unsafe(str):
    """A string Ansible must treat as data, never as a template."""

    __slots__ = ()


def unsafe(value: str) -> Unsafe:
    return Unsafe(value)


class Secret(str):
    """A secret value: written as its digest, handed to the run only in memory."""

    __slots__ = ()

    @property
    def ref(self) -> str:
        return "sha256:" + hashlib.sha256(self.encode()).hexdigest()


def secret(value: str) -> Secret:
    return Secret(value)


def secrets_of(variables: Any) -> dict[str, str]:
    """ref -> value of every secret in rendered variables (what the run is given besides the text)."""
    if isinstance(variables, Secret):
        return {variables.ref: str(variables)}
    found: dict[str, str] = {}
    if isinstance(variables, dict):
        for item in variables.values():
            found.update(secrets_of(item))
    elif isinstance(variables, list | tuple):
        for item in variables:
            found.update(secrets_of(item))
    return found


def _mark(value: Any) -> Any:
    if isinstance(value, Secret):
        return _SECRET_PREFIX + value.ref
    if isinstance(value, Unsafe):
        return _PREFIX + value
    if isinstance(value, dict):
        return {key: _mark(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mark(item) for item in value]
    return value


def dump(variables: dict[str, Any]) -> str:
    """Deterministic JSON (keys sorted) so identical state gives identical files, hashes and git history."""
    text = json.dumps(_mark(variables), sort_keys=True, indent=1, ensure_ascii=False)
    text = _SECRETED.sub(r'{"__baton_secret": "\1"}', text)
    return _PREFIXED.sub(r'{"__ansible_unsafe": "\1"}', text) + "\n"


class SecretRef(str):
    """A secret read back from a host_vars text: only its reference (tests and diffs never see the value)."""

    __slots__ = ()


def _unmark(obj: dict[str, Any]) -> Any:
    if obj.keys() == {UNSAFE_KEY}:
        return Unsafe(obj[UNSAFE_KEY])
    if obj.keys() == {SECRET_KEY}:
        return SecretRef(obj[SECRET_KEY])
    return obj


def load(text: str) -> Any:
    """Read a host_vars file back, with unsafe strings as `Unsafe` (for tests and diffs)."""
    return json.loads(text, object_hook=_unmark)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
