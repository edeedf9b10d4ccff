"""Checking rendered host_vars against a role's meta/argument_specs.yml, as Ansible itself will."""

from __future__ import annotations

from typing import Any

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from tests.hosts import REPO


def role_spec_errors(role: str, variables: dict[str, Any]) -> list[str]:
    spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    unknown = sorted(name for name in variables if name not in options)
    result = ArgumentSpecValidator(options).validate({key: _plain(value) for key, value in variables.items()})
    return [f"unknown variable {name}" for name in unknown] + list(result.error_messages)


def _plain(value: Any) -> Any:
    """Unsafe strings are str subclasses; the validator wants plain data, as Ansible hands it over."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return str(value) if isinstance(value, str) else value
