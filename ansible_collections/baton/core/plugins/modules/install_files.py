#!/usr/bin/python
"""Install many rendered files in one module call, each validated before it replaces the live one.

Standard library only, with its arguments substituted by Ansible ("JSON args" module style): an AnsiballZ
module costs the controller ~0.15 s to build and the server ~0.12 s to load module_utils.basic, more
than a targeted run's whole remote work. The action plugin passes the files as compressed base64, so no
text in them can touch this source.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: install_files
short_description: Install rendered files, each validated before it goes live, in one remote step
description:
  - Compares each file with the live one; a changed file is written to a temporary file beside it, checked
    with its validation command, and only then renamed over the live file. Unchanged files are only compared.
  - A file that fails validation keeps its live version and is listed in C(rejected_files) with its C(unit) (the
    object it stands for, e.g. a zone); the others go on. The task does not fail for it: the panel marks only
    the objects behind the refused files failed, and a manual run sees a warning naming each refused file.
  - A C(secret) file (passwords, hashes, keys) is compared and installed like any other, but its diff only says
    that it changed, never what it holds.
  - After a file changed (or when the file named by C(creates) is missing) its C(after) command runs.
  - Files matching a C(prune) entry that are not in C(files) are deleted.
  - When anything changed and C(service) is active, C(reload) runs once at the end.
  - The paths in C(remove) are deleted after that reload (the new files no longer name them), unless a file
    was rejected (the live files may still name them); they are deleted by the next run that succeeds.
  - Called by the baton.core.install_files action, which renders the contents on the controller and passes
    them (with the other options) as C(payload), zlib-compressed JSON in base64.
options:
  files:
    description: >-
      Files, in order, each with C(path), C(content) and optionally C(label), C(unit), C(secret), C(mode),
      C(owner), C(group), C(validate) and C(after) (commands as lists, C(%s) stands for the file) and
      C(creates) (a path).
    type: list
    elements: dict
    required: true
  prune:
    description: >-
      Directories (C(directory), C(suffix)) where files with that suffix not in C(files) are deleted, with
      their C(companions) (other suffixes of the same stem, e.g. compiled versions).
    type: list
    elements: dict
    default: []
  remove:
    description: Paths to delete once the new files are live and loaded; missing ones are ignored.
    type: list
    elements: str
    default: []
  problems:
    description: >-
      What the role's own checks found wrong in its data (handled by the action); when not empty the task
      fails with them before anything is rendered or sent.
    type: list
    elements: str
    default: []
  fail_on_rejected:
    description: >-
      Fail the task (after installing the other files and reloading) when a file was rejected, with each
      rejected file and its validator's message (handled by the action). Off by default: a refused file fails
      only its own object, and a failed task would stop the rest of the play for the host.
    type: bool
    default: false
  owner:
    description: Default owner of the files.
    type: str
    default: root
  group:
    description: Default group of the files.
    type: str
    default: root
  service:
    description: Unit that reads the files; the reload runs only while it is active.
    type: str
  reload:
    description: Command (a list) that makes the running service load the changed files.
    type: list
    elements: str
"""

RETURN = r"""
changed_files:
  description: Labels of the files replaced (or that would be, in check mode).
  type: list
  returned: always
rejected_files:
  description: Files refused by their validation command, each with C(label), C(unit) and C(msg).
  type: list
  returned: always
pruned_files:
  description: Paths deleted because no file of this run names them.
  type: list
  returned: always
removed_files:
  description: Paths of C(remove) that existed and were deleted (or would be, in check mode).
  type: list
  returned: always
"""

import base64
import glob
import grp
import json
import os
import pwd
import subprocess
import sys
import tempfile
import time
import zlib

# Ansible replaces the marker with the module's arguments as JSON; JSON text never holds three quotes in a
# row nor ends with a backslash, so it cannot leave this raw string.
ARGUMENTS = r"""<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>"""


class Module:
    """What this module needs of AnsibleModule: parameters, check and diff mode, commands, results."""

    def __init__(self, arguments: dict) -> None:
        self.check_mode = bool(arguments.get("_ansible_check_mode"))
        self.diff = bool(arguments.get("_ansible_diff"))
        params = json.loads(zlib.decompress(base64.b64decode(arguments["payload"])))
        self.params = {"prune": [], "remove": [], "owner": "root", "group": "root", "service": None, "reload": None}
        self.params.update({key: value for key, value in params.items() if value is not None})
        if not isinstance(self.params.get("files"), list):
            self.fail_json(msg="files must be a list")
        if bool(self.params["service"]) != bool(self.params["reload"]):
            self.fail_json(msg="service and reload go together")

    def run_command(self, command: list) -> tuple:
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        try:
            done = subprocess.run(command, capture_output=True, text=True, errors="replace", env=env, check=False)
        except OSError as error:
            return 127, "", str(error)
        return done.returncode, done.stdout, done.stderr

    def exit_json(self, **result: object) -> None:
        print(json.dumps(result))
        sys.exit(0)

    def fail_json(self, msg: str, **result: object) -> None:
        print(json.dumps({**result, "failed": True, "msg": msg}))
        sys.exit(1)


def _live_content(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _command(template: list[str] | None, path: str) -> list[str]:
    return [part.replace("%s", path) for part in template or []]


def _set_attributes(path: str, owner: str, group: str, mode: str) -> None:
    os.chown(path, pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid)
    os.chmod(path, int(mode, 8))


def _install(module: Module, spec: dict) -> str | None:
    """Write, check and rename one file; returns the validator's message when it refuses the file."""
    path = spec["path"]
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(spec["content"])
        if spec.get("validate"):
            rc, out, err = module.run_command(_command(spec["validate"], temporary))
            if rc != 0:
                message = f"{out} {err}".strip().replace(temporary, f"new {os.path.basename(path)}")
                return message or f"validation exited with {rc}"
        if not module.check_mode:
            owner, group = spec.get("owner") or module.params["owner"], spec.get("group") or module.params["group"]
            _set_attributes(temporary, owner, group, spec.get("mode") or "0644")
            os.replace(temporary, path)
        return None
    finally:
        # The file and whatever its validator left beside it (sievec writes <file>.svbin).
        for leftover in glob.glob(glob.escape(temporary) + "*"):
            os.unlink(leftover)


def _after(module: Module, spec: dict) -> None:
    rc, out, err = module.run_command(_command(spec["after"], spec["path"]))
    if rc != 0:
        module.fail_json(msg=f"{' '.join(spec['after'])} failed for {spec['path']}: {out} {err}".strip(), rc=rc)


def _prune(module: Module, keep: set[str]) -> list[str]:
    pruned = []
    for entry in module.params["prune"]:
        directory, suffix = entry["directory"], entry["suffix"]
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if not name.endswith(suffix) or path in keep or not os.path.isfile(path):
                continue
            stem = path[: -len(suffix)]
            companions = [stem + other for other in entry.get("companions") or [] if os.path.isfile(stem + other)]
            pruned.extend([path, *companions])
            if not module.check_mode:
                for stale in (path, *companions):
                    os.unlink(stale)
    return pruned


def _remove(module: Module) -> list[str]:
    removed = [path for path in module.params["remove"] if os.path.lexists(path)]
    if not module.check_mode:
        for path in removed:
            os.unlink(path)
    return removed


def _reload(module: Module) -> None:
    rc, _, _ = module.run_command(["systemctl", "is-active", "--quiet", module.params["service"]])
    if rc != 0:
        return  # not running yet: it reads every file when the role starts it
    for _ in range(10):  # it may still be starting (systemd reports it active before it answers)
        rc, out, err = module.run_command(module.params["reload"])
        if rc == 0:
            return
        time.sleep(1)
    module.fail_json(msg=f"reload failed: {out} {err}".strip(), rc=rc)


def _diff(path: str, live: str | None, spec: dict) -> dict:
    if spec.get("secret"):
        state = "created" if live is None else "changed"
        return {"prepared": f"--- {path}\n+++ {path}\n{state}, content hidden (the file holds secrets)\n"}
    return {"before_header": path, "after_header": path, "before": live or "", "after": spec["content"]}


def main() -> None:
    module = Module(json.loads(ARGUMENTS))
    changed, rejected, diffs = [], [], []
    for spec in module.params["files"]:
        path = str(spec["path"])
        label = str(spec.get("label") or path)
        live = _live_content(path)
        if live == spec["content"]:
            if spec.get("after") and spec.get("creates") and not os.path.exists(spec["creates"]):
                changed.append(label)  # e.g. a map whose .db was removed by hand
                if not module.check_mode:
                    _after(module, spec)
            continue
        message = _install(module, spec)
        if message is not None:
            rejected.append({"label": label, "unit": str(spec.get("unit") or label), "msg": message})
            continue
        changed.append(label)
        if spec.get("after") and not module.check_mode:
            _after(module, spec)
        if module.diff:
            diffs.append(_diff(path, live, spec))
    pruned = _prune(module, {str(spec["path"]) for spec in module.params["files"]})
    if (changed or pruned) and module.params["reload"] and not module.check_mode:
        _reload(module)
    removed = [] if rejected else _remove(module)
    if module.diff:  # a file put there by hand shows in plan and drift; its content stays out of the record
        diffs.extend({"prepared": f"--- {path}\n+++ /dev/null\ndeleted: not in the desired state\n"} for path in pruned)
    module.exit_json(
        changed=bool(changed or pruned or removed),
        changed_files=changed,
        rejected_files=rejected,
        pruned_files=pruned,
        removed_files=removed,
        diff=diffs,
    )


if __name__ == "__main__":
    main()
