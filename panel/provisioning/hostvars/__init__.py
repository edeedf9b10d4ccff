"""Rendering host_vars: the YAML the roles read, with every customer string tagged `!unsafe`.

Renderers wrap strings that a customer typed in `unsafe()`. Dumped as `!unsafe '...'`, Ansible never
evaluates them as templates, whatever they contain.
"""

from __future__ import annotations

import hashlib
from typing import Any

import yaml


class Unsafe(str):
    """A string Ansible must treat as data, never as a template."""

    __slots__ = ()


def unsafe(value: str) -> Unsafe:
    return Unsafe(value)


class _Dumper(yaml.SafeDumper):
    pass


def _represent_unsafe(dumper: yaml.SafeDumper, value: Unsafe) -> yaml.Node:
    return dumper.represent_scalar("!unsafe", str(value), style="'")


_Dumper.add_representer(Unsafe, _represent_unsafe)


def _load_unsafe(loader: yaml.SafeLoader, node: yaml.Node) -> Unsafe:
    return Unsafe(loader.construct_scalar(node))  # type: ignore[arg-type]


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", _load_unsafe)


def dump(variables: dict[str, Any]) -> str:
    """Deterministic YAML (keys sorted) so identical state gives identical files, hashes and git history."""
    body = yaml.dump(
        variables, Dumper=_Dumper, sort_keys=True, allow_unicode=True, default_flow_style=False, width=1000
    )
    return f"---\n# Written by the Baton panel: the desired state of this service on this host. Do not edit.\n{body}"


def load(text: str) -> Any:
    """Read a host_vars file back, keeping `!unsafe` strings as `Unsafe` (for tests and diffs)."""
    return yaml.load(text, Loader=_Loader)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
