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
  - A probe asks in one of three ways. C(command), a list, runs it (the answer is its standard output). C(http)
    (C(port), C(host), optional C(path)) sends a GET to 127.0.0.1 with that Host (the answer is the status line
    and the headers, one C(Name: value) a line). C(fcgi) (C(socket), C(path)) sends a FastCGI request to a unix
    socket, as a web server hands a request to PHP-FPM (the answer is what the application wrote).
  - A probe that is still not answered when the time is up is listed in C(rejected_files) with its C(unit) and
    what it last answered: the panel fails only the objects behind it. The task does not fail for it unless
    C(fail_on_rejected).
  - With C(at_least), the first group of C(expect) must be a number no lower than it (a zone's serial: a newer
    change may already have moved the zone on).
  - C(kick) (a command) runs once for a probe that did not pass on the first try (e.g. C(rndc refresh <zone>) on
    a secondary that has not transferred yet).
  - Nothing runs in check mode.
options:
  probes:
    description: >-
      Probes, each with C(label), one of C(command), C(http) and C(fcgi), optional C(expect), C(at_least),
      C(kick) and C(unit).
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
"""

import http.client
import json
import os
import re
import socket
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


def _http(spec: dict) -> tuple[int, str]:
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


def main() -> None:
    arguments = json.loads(ARGUMENTS)
    probes = arguments.get("probes")
    kinds = ("command", "http", "fcgi")
    if not isinstance(probes, list) or not all(isinstance(p, dict) and any(p.get(k) for k in kinds) for p in probes):
        print(json.dumps({"failed": True, "msg": "probes must be a list of dicts, each with a command, http or fcgi"}))
        sys.exit(1)
    result: dict = {"changed": False, "waited": 0.0, "rejected_files": []}
    if arguments.get("_ansible_check_mode") or not probes:
        _finish(result, False)
    timeout = float(arguments.get("timeout") or 20)
    interval = float(arguments.get("interval") or 0.05)
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
            break
        time.sleep(interval)
    result["waited"] = round(time.monotonic() - start, 3)
    result["rejected_files"] = [
        {
            "label": str(probe.get("label") or probe.get("unit") or ""),
            "unit": str(probe.get("unit") or probe.get("label") or ""),
            "msg": f"installed, but not served after {timeout:g} s (last answer: {answers[id(probe)][:300]!r})",
        }
        for probe in pending
    ]
    _finish(result, bool(arguments.get("fail_on_rejected")))


if __name__ == "__main__":
    main()
