#!/usr/bin/python
"""Install many rendered files in one module call, each validated before it replaces the live one."""

from __future__ import annotations

DOCUMENTATION = r"""
module: install_files
short_description: Install rendered files, each validated before it goes live, in one remote step
description:
  - Compares each file with the live one; a changed file is written to a temporary file beside it, checked
    with its validation command, and only then renamed over the live file. Unchanged files are only compared.
  - A file that fails validation keeps its live version and is listed in C(rejected_files); the others go on.
  - After a file changed (or when the file named by C(creates) is missing) its C(after) command runs.
  - Files matching a C(prune) entry that are not in C(files) are deleted.
  - When anything changed and C(service) is active, C(reload) runs once at the end.
  - Normally called by the baton.core.install_files action, which renders the contents on the controller.
options:
  files:
    description: >-
      Files, in order, each with C(path), C(content) and optionally C(label), C(mode), C(owner), C(group),
      C(validate) and C(after) (commands as lists, C(%s) stands for the file) and C(creates) (a path).
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
  description: Files refused by their validation command, each with C(label) and C(msg).
  type: list
  returned: always
pruned_files:
  description: Paths deleted because no file of this run names them.
  type: list
  returned: always
"""

import glob
import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule


def _live_content(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _command(template: list[str] | None, path: str) -> list[str]:
    return [part.replace("%s", path) for part in template or []]


def _install(module: AnsibleModule, spec: dict) -> str | None:
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
            module.set_owner_if_different(temporary, spec.get("owner") or module.params["owner"], False)
            module.set_group_if_different(temporary, spec.get("group") or module.params["group"], False)
            module.set_mode_if_different(temporary, spec.get("mode") or "0644", False)
            os.replace(temporary, path)
        return None
    finally:
        # The file and whatever its validator left beside it (sievec writes <file>.svbin).
        for leftover in glob.glob(glob.escape(temporary) + "*"):
            os.unlink(leftover)


def _after(module: AnsibleModule, spec: dict) -> None:
    rc, out, err = module.run_command(_command(spec["after"], spec["path"]))
    if rc != 0:
        module.fail_json(msg=f"{' '.join(spec['after'])} failed for {spec['path']}: {out} {err}".strip(), rc=rc)


def _prune(module: AnsibleModule, keep: set[str]) -> list[str]:
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


def _reload(module: AnsibleModule) -> None:
    rc, _, _ = module.run_command(["systemctl", "is-active", "--quiet", module.params["service"]])
    if rc != 0:
        return  # not running yet: it reads every file when the role starts it
    for _ in range(10):  # it may still be starting (systemd reports it active before it answers)
        rc, out, err = module.run_command(module.params["reload"])
        if rc == 0:
            return
        time.sleep(1)
    module.fail_json(msg=f"reload failed: {out} {err}".strip(), rc=rc)


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="dict", required=True),
            prune=dict(type="list", elements="dict", default=[]),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
            service=dict(type="str"),
            reload=dict(type="list", elements="str"),
        ),
        required_together=[("service", "reload")],
        supports_check_mode=True,
    )
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
            rejected.append({"label": label, "msg": message})
            continue
        changed.append(label)
        if spec.get("after") and not module.check_mode:
            _after(module, spec)
        if module._diff:
            diffs.append({"before_header": path, "after_header": path, "before": live or "", "after": spec["content"]})
    pruned = _prune(module, {str(spec["path"]) for spec in module.params["files"]})
    if (changed or pruned) and module.params["reload"] and not module.check_mode:
        _reload(module)
    module.exit_json(
        changed=bool(changed or pruned),
        changed_files=changed,
        rejected_files=rejected,
        pruned_files=pruned,
        diff=diffs,
    )


if __name__ == "__main__":
    main()
