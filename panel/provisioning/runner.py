"""Running a playbook against one server with ansible-runner. The only module that imports ansible_runner.

Each run gets a fresh private data directory (mode 0700) holding the inventory, the known_hosts line of the
server's pinned host key and the host_vars of this run; it is deleted afterwards. The controller's SSH key
stays where settings point and is never copied. `suppress_env_files` and a unique ident keep runner from
reusing the command line or the events of an earlier run (a plan must never turn the next apply into a
dry run).
"""

from __future__ import annotations

import hmac
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_hex
from typing import Any

import ansible_runner
from django.conf import settings

from panel.provisioning.choices import EventStatus, RunStatus
from panel.provisioning.desired_state import unified_diff, write_atomically

_EVENT_STATUS = {
    "runner_on_ok": EventStatus.OK,
    "runner_on_failed": EventStatus.FAILED,
    "runner_on_skipped": EventStatus.SKIPPED,
    "runner_on_unreachable": EventStatus.UNREACHABLE,
    "runner_item_on_ok": EventStatus.OK,
    "runner_item_on_failed": EventStatus.FAILED,
    "runner_item_on_skipped": EventStatus.SKIPPED,
}
_MAX_TEXT = 20_000


@dataclass(frozen=True)
class Target:
    """How to reach the server (plain data, no model instance)."""

    name: str
    address: str
    port: int
    user: str
    host_key: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class RunRequest:
    target: Target
    service: str
    playbook: str
    host_vars: str
    secrets: dict[str, str] = field(default_factory=dict, repr=False)  # digest -> value: never written anywhere
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    extravars: dict[str, Any] = field(default_factory=dict)
    check: bool = False
    ident: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class EventRecord:
    seq: int
    task: str
    host: str
    item: str
    status: str
    message: str
    stdout: str
    stderr: str
    diff: str
    duration: float | None
    changed: bool
    # Files the task's validators refused, each {"unit", "label", "msg"}: only the objects behind them fail.
    rejected: list[dict[str, str]] = field(default_factory=list)


@dataclass
class RunResult:
    status: str
    rc: int | None
    stats: dict[str, Any]
    events: list[EventRecord]
    error: str
    duration: float

    @property
    def rejected(self) -> list[dict[str, str]]:
        return [entry for event in self.events for entry in event.rejected]


def _rejected(res: dict[str, Any], task: str) -> list[dict[str, str]]:
    entries = [*(res.get("rejected_files") or []), *(res.get("rejected_dirs") or [])]
    return [
        {
            "unit": str(e.get("unit") or e.get("label", "")),
            "label": str(e.get("label") or e.get("path", "")),
            "msg": _text(e.get("msg")),
        }
        | {"task": task}
        for e in entries
        if isinstance(e, dict)
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:_MAX_TEXT]


def _diff_text(res: dict[str, Any]) -> str:
    """Unified diffs from a task result's `diff` (list of before/after dicts, or prepared text)."""
    diffs = res.get("diff") or []
    if isinstance(diffs, dict):
        diffs = [diffs]
    parts = []
    for diff in diffs:
        if not isinstance(diff, dict):
            continue
        if "prepared" in diff:
            parts.append(str(diff["prepared"]))
        elif "before" in diff or "after" in diff:
            before = diff.get("before") if isinstance(diff.get("before"), str) else json.dumps(diff.get("before"))
            after = diff.get("after") if isinstance(diff.get("after"), str) else json.dumps(diff.get("after"))
            name = str(diff.get("before_header") or diff.get("after_header") or "file")
            parts.append(unified_diff(before or "", after or "", name))
    return _text("".join(parts))


def event_record(seq: int, event: dict[str, Any]) -> EventRecord | None:
    status = _EVENT_STATUS.get(event.get("event", ""))
    if status is None:
        return None
    data = event.get("event_data", {})
    res = data.get("res") or {}
    if not isinstance(res, dict):
        res = {"msg": str(res)}
    changed = bool(res.get("changed"))
    if status == EventStatus.OK and changed:
        status = EventStatus.CHANGED
    item = res.get("_ansible_item_label", res.get("item", "")) if event["event"].startswith("runner_item") else ""
    return EventRecord(
        seq=seq,
        task=_text(data.get("task", ""))[:300],
        host=str(data.get("host", ""))[:100],
        item=_text(item)[:300],
        status=status,
        message=_text(res.get("msg", "")),
        stdout=_text(res.get("stdout")),
        stderr=_text(res.get("stderr")),
        diff=_diff_text(res),
        duration=data.get("duration"),
        changed=changed,
        rejected=_rejected(res, _text(data.get("task", ""))[:300]),
    )


def _inventory(target: Target) -> dict[str, Any]:
    host = {
        "ansible_host": target.address,
        "ansible_port": target.port,
        "ansible_user": target.user,
        # Managed servers run Debian; naming the interpreter saves the discovery round trip of every run.
        "ansible_python_interpreter": "/usr/bin/python3",
    }
    return {"all": {"children": {group: {"hosts": {target.name: host}} for group in target.groups}}}


def _known_hosts_line(target: Target) -> str:
    address = target.address if target.port == 22 else f"[{target.address}]:{target.port}"
    return f"{address} {target.host_key}\n"


def _prepare(request: RunRequest) -> Path:
    runs = Path(settings.BATON_RUN_DIR)
    runs.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = Path(tempfile.mkdtemp(prefix="baton-run-", dir=runs))
    os.chmod(private, 0o700)
    inventory = private / "inventory"
    inventory.mkdir()
    (inventory / "hosts.json").write_text(json.dumps(_inventory(request.target)))
    # Not in inventory/host_vars: Ansible reads those tagging every value (seconds for a large mail server); the
    # collection's panel_vars plugin reads this directory as plain, untrusted data (see its docstring).
    write_atomically(private / "vars" / request.target.name / f"{request.service}.json", request.host_vars)
    (private / "known_hosts").write_text(_known_hosts_line(request.target))
    return private


def _strategy() -> dict[str, str]:
    """Mitogen runs a play in a fraction of the time of plain SSH; used when installed and not switched off."""
    if not settings.BATON_ANSIBLE_MITOGEN:
        return {}
    try:
        import ansible_mitogen
    except ImportError:
        return {}
    plugins = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": "mitogen_linear"}


def _envvars(private: Path) -> dict[str, str]:
    repo = Path(settings.BASE_DIR)
    # These replace ansible.cfg's ssh_args, so they carry the keep-alives too: a server that freezes under a
    # warm multiplexed connection would otherwise hold the run until BATON_RUN_TIMEOUT (the master waits on TCP).
    # ConnectTimeout covers a cold connection to a frozen server (TCP is accepted, the banner never comes).
    alive, connect = settings.BATON_SSH_ALIVE_SECONDS, settings.BATON_SSH_CONNECT_TIMEOUT
    ssh_args = (
        f"-o UserKnownHostsFile={private / 'known_hosts'} -o StrictHostKeyChecking=yes "
        "-o ControlMaster=auto -o ControlPersist=120s -o PreferredAuthentications=publickey "
        f"-o ServerAliveInterval={alive} -o ServerAliveCountMax=3 -o ConnectTimeout={connect}"
    )
    return {
        "ANSIBLE_CONFIG": str(repo / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(repo / "roles"),
        "ANSIBLE_COLLECTIONS_PATH": f"{repo / 'collections'}:{repo}",  # the PyPI bundle, and baton.core
        "ANSIBLE_PRIVATE_KEY_FILE": str(settings.BATON_SSH_KEY),
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_SSH_ARGS": ssh_args,
        "ANSIBLE_TIMEOUT": str(settings.BATON_SSH_CONNECT_TIMEOUT),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_VARS_ENABLED": "host_group_vars,baton.core.panel_vars",
        "BATON_PANEL_VARS_DIR": str(private / "vars"),
        # ansible-playbook lives beside this interpreter (the project's virtualenv), which may not be on PATH.
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        **_strategy(),
    }


class SecretServer:
    """Hands a run's secrets to the collection's panel_vars plugin (in ansible-playbook) from this process's memory,
    over a unix socket in the run's private directory (0700), to a client that presents the run's token. Nothing
    of a secret is written to disk: the vars file carries its digest only."""

    def __init__(self, directory: Path, secrets: dict[str, str]) -> None:
        # A unix socket's path has at most 107 bytes: a deep run directory gets a short private one (0700) instead.
        self._own_dir = None if len(str(directory)) < 80 else Path(tempfile.mkdtemp(prefix="baton-secrets-"))
        self.path = (self._own_dir or directory) / "secrets.sock"
        self.token = token_hex(32)
        self._payload = json.dumps(secrets).encode()
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.bind(str(self.path))
        os.chmod(self.path, 0o600)
        self._socket.listen(8)
        self._socket.settimeout(0.2)  # accept() wakes up to see the run is over
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:  # closed: the run is over
                return
            with client:
                client.settimeout(5)
                try:
                    offered = client.recv(128).strip().decode(errors="replace")
                    if hmac.compare_digest(offered, self.token):
                        client.sendall(self._payload)
                except OSError:
                    continue

    def env(self) -> dict[str, str]:
        return {"BATON_SECRETS_SOCKET": str(self.path), "BATON_SECRETS_TOKEN": self.token}

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        self._socket.close()
        self.path.unlink(missing_ok=True)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)


def execute(request: RunRequest, *, heartbeat: Callable[[], None] | None = None) -> RunResult:
    """Run the service's playbook limited to the target. Blocks until the run ends or times out."""
    private = _prepare(request)
    secret_server = SecretServer(private, request.secrets) if request.secrets else None
    events: list[EventRecord] = []
    stop = threading.Event()
    if heartbeat is not None:

        def beat() -> None:
            while not stop.wait(settings.BATON_LEASE_SECONDS / 3):
                heartbeat()

        threading.Thread(target=beat, daemon=True).start()

    def on_event(event: dict[str, Any]) -> bool:
        record = event_record(len(events), event)
        if record is not None:
            events.append(record)
        return True  # runner keeps its event files too: its stats are read from them

    started = time.monotonic()
    try:
        result = ansible_runner.run(
            private_data_dir=str(private),
            project_dir=str(Path(settings.BASE_DIR) / "playbooks"),
            playbook=request.playbook,
            inventory=str(private / "inventory"),
            limit=request.target.name,
            tags=",".join(request.tags) or None,
            skip_tags=",".join(request.skip_tags) or None,
            extravars={**settings.BATON_ANSIBLE_EXTRA_VARS, **request.extravars} or None,
            cmdline="--check --diff" if request.check else None,
            envvars={**_envvars(private), **(secret_server.env() if secret_server else {})},
            ident=request.ident,
            suppress_env_files=True,
            quiet=True,
            event_handler=on_event,
            timeout=settings.BATON_RUN_TIMEOUT,
        )
        stats = result.stats or {}  # read from the artifacts, so before they are removed
        error = _error(result.status, events) or ""
        if result.status != "successful" and not any(e.status == EventStatus.FAILED for e in events):
            error = f"{error}\n{_tail(result.stdout.read())}".strip()  # e.g. a syntax error before any task
        return RunResult(
            status=_status(result.status, stats),
            rc=result.rc,
            stats=stats,
            events=events,
            error=error,
            duration=time.monotonic() - started,
        )
    finally:
        stop.set()
        if secret_server is not None:
            secret_server.close()
        shutil.rmtree(private, ignore_errors=True)


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])[-_MAX_TEXT:]


def _status(runner_status: str, stats: dict[str, Any] | None) -> str:
    if stats and stats.get("dark"):
        return RunStatus.UNREACHABLE
    return {"successful": RunStatus.SUCCESSFUL, "failed": RunStatus.FAILED, "timeout": RunStatus.TIMEOUT}.get(
        runner_status, RunStatus.ERROR
    )


def _error(runner_status: str, events: list[EventRecord]) -> str:
    """The failing task's message, with a validator's output (a failed `validate:` only says so in msg)."""
    for record in events:
        if record.status in {EventStatus.FAILED, EventStatus.UNREACHABLE}:
            parts = [
                f"{record.task}" + (f" [{record.item}]" if record.item else ""),
                record.message,
                record.stdout,
                record.stderr,
            ]
            return "\n".join(part for part in parts if part).strip()
    return "" if runner_status == "successful" else f"ansible-runner ended with status {runner_status}"
