"""Services the provisioning engine knows. Each domain app registers one, so provisioning never imports them.

A service names its playbook, how to load the desired state of one server from the database (`load`), the
pure renderer that turns that data into `<role>__host_*` variables (`render`), the tags of a full and of a
targeted run, the variable that limits a targeted run to some objects (`scope_var`), and how to settle
its objects once a run succeeded or failed (`settle`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from panel.provisioning.models import ChangeSetItem
    from panel.servers.models import Server


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    playbook: str
    server_roles: tuple[str, ...]
    load: Callable[[Server], Any]
    render: Callable[[Any], dict[str, Any]]
    settle: Callable[[Sequence[ChangeSetItem]], None]
    full_tags: tuple[str, ...]
    targeted_tags: tuple[str, ...] = ()
    scope_var: str | tuple[str, ...] | None = None  # one variable, or several roles' (each reads its own units)
    # Tags every panel run skips: "always" is the role's automatic argument check, whose cost grows with the
    # whole state (seconds at 10,000 mailboxes). The renderers' output is checked against the argument specs by
    # the test suite, and each role checks what its files depend on in its own one-pass preflight.
    skip_tags: tuple[str, ...] = ()
    # Tags of plan and drift checks: every task that manages a file (`<role>:files`), configuration and data,
    # without packages, users, directories and services, whose checks cost a round trip each. Empty: full_tags.
    check_tags: tuple[str, ...] = ()
    argument_specs: tuple[str, ...] = field(default_factory=tuple)  # role names whose specs check the render
    lock: Callable[[Server], None] = lambda server: None  # row locks taken while claiming and rendering
    # Services whose pending change sets on the same server run first, in the same turn (websites need users).
    requires: tuple[str, ...] = ()


_services: dict[str, ServiceSpec] = {}


def register(spec: ServiceSpec) -> ServiceSpec:
    _services[spec.name] = spec
    return spec


def get(name: str) -> ServiceSpec:
    try:
        return _services[name]
    except KeyError as error:
        raise LookupError(f"No provisioning service named {name!r}; known: {sorted(_services)}") from error


def names() -> list[str]:
    return sorted(_services)
