#!/usr/bin/python
"""Wait, in one remote step, until the running services answer for what this run installed.

Standard library only, with its arguments substituted by Ansible ("JSON args" module style), like install_files.
A reload returns before the daemon serves its new state (named loads zones in the background, a secondary
transfers after a NOTIFY, apache's graceful restart replaces its children one by one): the panel says
"applied" only once each object is served, so the role asks the daemon itself, as a client would.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: await_served
short_description: Poll probes until each answers what it should, in one remote step
description:
  - Each probe asks until its answer matches C(expect) (a regular expression searched in it; without C(expect),
    until a C(command) exits 0 or a request is answered at all), every C(interval) seconds, for at most
    C(timeout) seconds in all. Probes run in rounds; a probe that passed is not asked again.
  - A probe asks in one of four ways. C(command), a list, runs it (the answer is its standard output). C(http)
    (C(port), C(host), optional C(path)) sends a GET to 127.0.0.1 with that Host (the answer is the status line
    and the headers, one C(Name: value) a line); C(https) does the same over TLS with SNI = Host (the
    certificate is not verified: the probe asks which configuration answers, not whom to trust). C(fcgi)
    (C(socket), C(path)) sends a FastCGI request to a unix socket, as a web server hands a request to PHP-FPM
    (the answer is what the application wrote).
  - A probe that is still not answered when the time is up is listed in C(rejected_files) with its C(unit) and
    what it last answered: the panel fails only the objects behind it. The task does not fail for it unless
    C(fail_on_rejected).
  - With C(at_least), the first group of C(expect) must be a number no lower than it (a zone's serial: a newer
    change may already have moved the zone on).
  - C(kick) (a command) runs once for a probe that did not pass on the first try (e.g. C(rndc refresh <zone>) on
    a secondary that has not transferred yet).
  - A probe with C(canary) (a name) stands for something this run did not change, asked to see that the reload
    broke nothing else; C(if_contains) (C(path), C(text)) makes it count only when that file holds that text (its
    configuration is the converged one, so it answered before). Only the probes of the first canary name whose
    conditions hold are asked.
  - With C(rollback) (C(previous), the concatenated C(previous) results of baton.core.install_files, and
    C(reload) and C(start) commands), the files of each unit whose probe failed are put back (a file that did
    not exist is deleted) and the service reloads, or starts when it is no longer running; when a canary failed,
    every file of the run is put back. The kept copies are deleted in every case.
  - Nothing runs in check mode.
options:
  probes:
    description: >-
      Probes, each with C(label), one of C(command), C(http), C(https) and C(fcgi), optional C(expect),
      C(at_least), C(kick), C(unit), C(canary) and C(if_contains).
    type: list
    elements: dict
    required: true
  timeout:
    description: Seconds to wait in all.
    type: float
    default: 20
  interval:
    description: Seconds between rounds.
    type: float
    default: 0.05
  rollback:
    description: >-
      C(previous) (what install_files kept), C(service), C(reload) and C(start) (commands as lists): how to put the
      files of failed units back.
    type: dict
  fail_on_rejected:
    description: Fail the task when a probe was not answered in time.
    type: bool
    default: false
"""

RETURN = r"""
waited:
  description: Seconds until every probe passed (or the time was up).
  type: float
  returned: always
rejected_files:
  description: Probes not answered in time, each with C(label), C(unit) and C(msg).
  type: list
  returned: always
restored:
  description: Paths put back to their previous version (or deleted) by the rollback.
  type: list
  returned: always
"""

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import time

# Ansible replaces the marker with the module's arguments as JSON (see install_files).
ARGUMENTS = r"""<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>"""


def _run(command: list[str]) -> tuple[int, str]:
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, errors="replace", env=env, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return 127, str(error)
    return done.returncode, (done.stdout + done.stderr if done.returncode else done.stdout)


def _http(spec: dict, tls: bool = False) -> tuple[int, str]:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        port = int(spec.get("port") or 443)
        connection: http.client.HTTPConnection = _SniConnection(str(spec["host"]), port, context)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", int(spec.get("port") or 80), timeout=5)
    try:
        connection.request("GET", str(spec.get("path") or "/"), headers={"Host": str(spec["host"])})
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as error:
        return 1, str(error)
    finally:
        connection.close()
    headers = "".join(f"{name}: {value}\n" for name, value in response.getheaders())
    return 0, f"HTTP {response.status}\n{headers}"


class _SniConnection(http.client.HTTPSConnection):
    """TLS to 127.0.0.1 with the site's name as SNI (the vhost is chosen by it)."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext) -> None:
        super().__init__("127.0.0.1", port, timeout=5, context=context)
        self.server_name = host

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.server_name)  # type: ignore[attr-defined]


def _fcgi_record(kind: int, content: bytes) -> bytes:
    return struct.pack(">BBHHBx", 1, kind, 1, len(content), 0) + content


def _fcgi_pair(name: bytes, value: bytes) -> bytes:
    return bytes([len(name), len(value)]) + name + value  # names and values here stay below 128 bytes


def _fcgi(spec: dict) -> tuple[int, str]:
    """One FastCGI request (role responder, id 1) on a unix socket: what the application wrote to stdout."""
    path = str(spec.get("path") or "/").encode()
    params = b"".join(
        _fcgi_pair(name, value)
        for name, value in [(b"REQUEST_METHOD", b"GET"), (b"SCRIPT_NAME", path), (b"SCRIPT_FILENAME", path),
                            (b"REQUEST_URI", path), (b"SERVER_PROTOCOL", b"HTTP/1.1")]
    )  # fmt: skip
    request = (
        _fcgi_record(1, struct.pack(">HB5x", 1, 0))
        + _fcgi_record(4, params)
        + _fcgi_record(4, b"")
        + _fcgi_record(5, b"")
    )
    out, received = b"", b""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            client.connect(str(spec["socket"]))
            client.sendall(request)
            while chunk := client.recv(65536):
                received += chunk
    except OSError as error:
        return 1, str(error)
    while len(received) >= 8:
        _, kind, _, length, padding = struct.unpack(">BBHHB", received[:7])
        if kind == 6:
            out += received[8 : 8 + length]
        received = received[8 + length + padding :]
    return 0, out.decode("utf-8", "replace")


def _ask(probe: dict) -> tuple[int, str]:
    if probe.get("http"):
        return _http(probe["http"])
    if probe.get("https"):
        return _http(probe["https"], tls=True)
    if probe.get("fcgi"):
        return _fcgi(probe["fcgi"])
    return _run([str(part) for part in probe["command"]])


def _passes(probe: dict) -> tuple[bool, str]:
    rc, out = _ask(probe)
    expect = probe.get("expect")
    if expect:
        found = re.search(str(expect), out)
        if found and probe.get("at_least") is not None:
            return found.group(1).isdigit() and int(found.group(1)) >= int(probe["at_least"]), out.strip()
        return found is not None, out.strip()
    return rc == 0, out.strip()


def _finish(result: dict, fail: bool) -> None:
    if fail and result["rejected_files"]:
        units = ", ".join(entry["unit"] for entry in result["rejected_files"])
        result.update(failed=True, msg=f"not served in time: {units}")
    print(json.dumps(result))
    sys.exit(1 if result.get("failed") else 0)


def _canaries(probes: list) -> list:
    """The probes of the first canary whose files hold what they should (its converged configuration)."""
    names = list(dict.fromkeys(str(probe["canary"]) for probe in probes if probe.get("canary")))
    for name in names:
        group = [probe for probe in probes if str(probe.get("canary") or "") == name]
        if all(_holds(probe.get("if_contains")) for probe in group):
            return group
    return []


def _holds(condition: dict | None) -> bool:
    if not condition:
        return True
    try:
        with open(str(condition["path"]), encoding="utf-8", errors="replace") as handle:
            return str(condition["text"]) in handle.read()
    except OSError:
        return False


def _wait(probes: list, timeout: float, interval: float) -> tuple[list, dict[int, str]]:
    """Ask in rounds until every probe passed or the time is up: the probes still failing and the last answers."""
    start = time.monotonic()
    pending = list(probes)
    answers: dict[int, str] = {}
    kicked: set[int] = set()
    while True:
        still = []
        for probe in pending:
            passed, answers[id(probe)] = _passes(probe)
            if passed:
                continue
            still.append(probe)
            if probe.get("kick") and id(probe) not in kicked:
                kicked.add(id(probe))
                _run([str(part) for part in probe["kick"]])
        pending = still
        if not pending or time.monotonic() - start >= timeout:
            return pending, answers
        time.sleep(interval)


def _put_back(entries: list) -> list[str]:
    """Each entry's previous version over the live file (a file that did not exist is deleted)."""
    restored = []
    for entry in reversed(entries):  # a file replaced twice in one run gets its oldest version last
        path = str(entry["path"])
        if entry.get("saved"):
            temporary = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.baton-previous")
            shutil.copy2(str(entry["saved"]), temporary, follow_symlinks=False)
            stat = os.lstat(str(entry["saved"]))
            os.chown(temporary, stat.st_uid, stat.st_gid, follow_symlinks=False)
            os.replace(temporary, path)
        elif os.path.lexists(path):
            os.unlink(path)
        restored.append(path)
    return restored


def _forget(entries: list) -> None:
    for directory in {str(entry["kept_in"]) for entry in entries if entry.get("kept_in")}:
        shutil.rmtree(directory, ignore_errors=True)


def _roll_back(rollback: dict, units: set[str], everything: bool) -> list[str]:
    entries = [entry for entry in rollback.get("previous") or [] if everything or str(entry.get("unit")) in units]
    restored = _put_back(entries)
    if restored and rollback.get("service"):
        running = _run(["systemctl", "is-active", "--quiet", str(rollback["service"])])[0] == 0
        command = rollback.get("reload") if running else rollback.get("start")
        if command:
            _run([str(part) for part in command])
    return restored


def _rejections(pending: list, answers: dict[int, str], timeout: float, restored: bool) -> list[dict]:
    suffix = "; its previous files were put back" if restored else ""
    return [
        {
            "label": str(probe.get("label") or probe.get("unit") or ""),
            "unit": str(probe.get("unit") or probe.get("label") or ""),
            "msg": f"installed, but not served after {timeout:g} s (last answer: {answers[id(probe)][:300]!r}){suffix}",
        }
        for probe in pending
    ]


def main() -> None:
    arguments = json.loads(ARGUMENTS)
    probes = arguments.get("probes")
    kinds = ("command", "http", "https", "fcgi")
    if not isinstance(probes, list) or not all(isinstance(p, dict) and any(p.get(k) for k in kinds) for p in probes):
        print(json.dumps({"failed": True, "msg": "probes must be a list of dicts, each with a command, http or fcgi"}))
        sys.exit(1)
    rollback = arguments.get("rollback") or {}
    result: dict = {"changed": False, "waited": 0.0, "rejected_files": [], "restored": []}
    if arguments.get("_ansible_check_mode") or not probes:
        _finish(result, False)
    timeout = float(arguments.get("timeout") or 20)
    interval = float(arguments.get("interval") or 0.05)
    asked = [probe for probe in probes if not probe.get("canary")] + _canaries(probes)
    start = time.monotonic()
    try:
        pending, answers = _wait(asked, timeout, interval)
        result["waited"] = round(time.monotonic() - start, 3)
        failed = [probe for probe in pending if not probe.get("canary")]
        canary_failed = len(failed) < len(pending)
        if rollback and pending:
            units = {str(probe.get("unit") or probe.get("label")) for probe in failed}
            result["restored"] = _roll_back(rollback, units, canary_failed)
            result["changed"] = bool(result["restored"])
        result["rejected_files"] = _rejections(failed, answers, timeout, bool(result["restored"]))
        if canary_failed:
            units = dict.fromkeys(str(e["unit"]) for e in rollback.get("previous") or []) or {"": None}
            result["rejected_files"] += [
                {"label": unit, "unit": unit, "msg": "installed, but after the reload another site of this server "
                 "stopped answering" + ("; this run's files were put back" if result["restored"] else "")}
                for unit in units if unit not in {entry["unit"] for entry in result["rejected_files"]}
            ]  # fmt: skip
    finally:
        _forget(rollback.get("previous") or [])
    _finish(result, bool(arguments.get("fail_on_rejected")))


if __name__ == "__main__":
    main()
