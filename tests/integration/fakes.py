"""Ansible faked at the runner boundary, for tests of the engine's bookkeeping."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from panel.provisioning import engine
from panel.provisioning.choices import EventStatus, RunStatus
from panel.provisioning.runner import EventRecord, RunRequest, RunResult

Runs = list[RunRequest]


def fake_runner(
    monkeypatch: pytest.MonkeyPatch,
    status: str = RunStatus.SUCCESSFUL,
    error: str = "",
    rejected: list[dict[str, str]] | None = None,
) -> Runs:
    """Every run ends with `status`; `rejected` are the files a validator refused ({"unit", "label", "msg"})."""
    seen: Runs = []

    def execute(request: RunRequest, *, heartbeat: Callable[[], None] | None = None) -> RunResult:
        seen.append(request)
        events = [
            EventRecord(
                0,
                "Render the zone files",
                request.target.name,
                "shop.example",
                EventStatus.FAILED if error else EventStatus.CHANGED,
                "failed to validate",
                error,
                "",
                "",
                0.1,
                not error,
                [{**entry, "task": "Render the zone files"} for entry in rejected or []],
            )
        ]
        return RunResult(
            status=status,
            rc=0 if status == RunStatus.SUCCESSFUL else 2,
            stats={},
            events=events,
            error=error,
            duration=0.1,
        )

    monkeypatch.setattr(engine, "execute", execute)
    return seen
