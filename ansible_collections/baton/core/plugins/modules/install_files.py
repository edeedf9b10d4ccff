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
  - Files matching a C(prune) entry that are not in C(files) nor in C(keep) are deleted.
  - When anything changed and C(service) is active, C(reload) runs once at the end.
  - The paths in C(remove) are deleted after that reload (the new files no longer name them), unless a file
    was rejected (the live files may still name them); they are deleted by the next run that succeeds.
  - C(make_dirs) are created first when missing (an existing one is left as it is), each only when its parent
    exists: the directories the files' objects need, made in the same step instead of another role's run.
  - With C(previous_dir), the live version of each file it replaces is kept there (root only) and listed in
    C(previous), so that a later step (baton.core.await_served's C(rollback)) can put it back when the service
    does not serve the new one; that step deletes the kept copies.
  - Called by the baton.core.install_files action, which renders the contents on the controller and passes
    them (with the other options) as C(payload), zlib-compressed JSON in base64.
options:
  files:
    description: >-
      Files, in order, each with C(path), C(content) and optionally C(label), C(unit), C(secret), C(mode),
      C(owner), C(group), C(validate) and C(after) (commands as lists, C(%s) stands for the file), C(creates)
      (a path) and C(requires) (labels of files earlier in the list: refused with any of them, with a tree
      check).
    type: list
    elements: dict
    required: true
  prune:
    description: >-
      Directories (C(directory), C(suffix), optionally C(prefix)) where files with that suffix (and prefix) not
      in C(files) are deleted, with their C(companions) (other suffixes of the same stem, e.g. compiled
      versions). With C(previous_dir) a deleted file is kept like a replaced one, under the unit
      C(unit_prefix) + its name without C(prefix) and C(suffix) when given (e.g. C(site:) for a site's vhost).
    type: list
    elements: dict
    default: []
  keep:
    description: >-
      Paths a C(prune) entry must not delete though they are not in C(files): the files of the objects a targeted
      run does not touch (they stay as they are, neither rendered nor compared).
    type: list
    elements: str
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
  tree_check:
    description: >-
      A check of a whole configuration tree (C(root), C(command) with C(%s) for the tree): the changed files under
      C(root) and the pruned ones are applied together to a copy of the tree, which C(command) must accept
      before any of them goes live (e.g. C(apache2ctl -t), where one file can break every other). When it
      refuses, each changed file is checked alone on a copy; those refused are rejected (with their C(unit)) and
      the others go live if the copy with all of them passes (else all are rejected).
    type: dict
  fail_on_rejected:
    description: >-
      Fail the task (after installing the other files and reloading) when a file was rejected, with each
      rejected file and its validator's message (handled by the action). Off by default: a refused file fails
      only its own object, and a failed task would stop the rest of the play for the host.
    type: bool
    default: false
  make_dirs:
    description: Directories (C(path), C(uid), C(gid), C(mode)) to create, in order, when missing.
    type: list
    elements: dict
    default: []
  previous_dir:
    description: >-
      Directory (created root 0700) where the live versions of replaced files are kept for a rollback; copies
      older than a day (of a run that stopped before its rollback step) are deleted.
    type: str
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
  reload_when:
    description: >-
      Labels of the files whose change needs the reload (the service notices the others by itself); empty
      means any file.
    type: list
    elements: str
    default: []
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
made_dirs:
  description: Paths of C(make_dirs) created (or that would be, in check mode).
  type: list
  returned: always
previous:
  description: >-
    With C(previous_dir): each replaced file's C(path), C(unit), C(label), C(saved) (where its live version, with
    its owner and mode, is kept; null for a file that did not exist) and C(kept_in) (this run's directory there).
  type: list
  returned: always
"""

import base64
import glob
import grp
import json
import os
import pwd
import shutil
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
        self.staging: set = set()  # temporary files written beside live ones
        self.previous: list = []  # the live versions kept for a rollback
        self.previous_run_dir: str | None = None
        self.made_dirs: list = []
        self.diff = bool(arguments.get("_ansible_diff"))
        params = json.loads(zlib.decompress(base64.b64decode(arguments["payload"])))
        self.params = {
            "prune": [], "keep": [], "remove": [], "owner": "root", "group": "root", "service": None, "reload": None,
            "tree_check": None, "reload_when": [], "previous_dir": None, "make_dirs": [],
        }  # fmt: skip
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
    temporary, message = _stage(module, spec)
    try:
        if message is None:
            _commit(module, spec, temporary)
        return message
    finally:
        _discard(temporary)


def _stage(module: Module, spec: dict) -> tuple[str, str | None]:
    """Write the new file beside the live one and run its validator: (the temporary file, the refusal or None)."""
    path = spec["path"]
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=os.path.dirname(path))
    module.staging.add(temporary)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(spec["content"])
    if spec.get("validate"):
        rc, out, err = module.run_command(_command(spec["validate"], temporary))
        if rc != 0:
            message = f"{out} {err}".strip().replace(temporary, f"new {os.path.basename(path)}")
            return temporary, message or f"validation exited with {rc}"
    return temporary, None


def _commit(module: Module, spec: dict, temporary: str) -> None:
    if not module.check_mode:
        owner, group = spec.get("owner") or module.params["owner"], spec.get("group") or module.params["group"]
        _set_attributes(temporary, owner, group, spec.get("mode") or "0644")
        _keep_previous(module, spec)
        os.replace(temporary, spec["path"])


def _keep_previous(module: Module, spec: dict) -> None:
    """Copy the live file (with its owner and mode) into this run's directory of previous versions."""
    if not module.params["previous_dir"]:
        return
    if module.previous_run_dir is None:
        root = str(module.params["previous_dir"])
        os.makedirs(root, mode=0o700, exist_ok=True)
        os.chmod(root, 0o700)
        for stale in glob.glob(os.path.join(root, "run-*")):
            if time.time() - os.path.getmtime(stale) > 86400:
                shutil.rmtree(stale, ignore_errors=True)
        module.previous_run_dir = tempfile.mkdtemp(prefix="run-", dir=root)
    path = str(spec["path"])
    saved = None
    if os.path.lexists(path):
        saved = os.path.join(module.previous_run_dir, str(len(module.previous)))
        shutil.copy2(path, saved, follow_symlinks=False)
        stat = os.lstat(path)
        os.chown(saved, stat.st_uid, stat.st_gid, follow_symlinks=False)
    label = str(spec.get("label") or path)
    module.previous.append(
        {"path": path, "unit": str(spec.get("unit") or label), "label": label, "saved": saved,
         "kept_in": module.previous_run_dir}
    )  # fmt: skip


def _discard(temporary: str) -> None:
    # The file and whatever its validator left beside it (sievec writes <file>.svbin).
    for leftover in glob.glob(glob.escape(temporary) + "*"):
        os.unlink(leftover)


def _tree_refusal(module: Module, specs: list, deleted: list) -> str | None:
    """Apply `specs` (new contents) and `deleted` (paths) to a copy of the checked tree; the command's refusal or
    None. Paths outside the tree are not part of the copy."""
    check = module.params["tree_check"]
    root = os.path.realpath(check["root"])
    scratch = tempfile.mkdtemp(prefix=".baton-tree-")
    try:
        copy = os.path.join(scratch, os.path.basename(root))
        staging = {os.path.realpath(path) for path in module.staging}  # this run's temporary files stay out

        def leave_out(directory: str, names: list) -> set:
            return {name for name in names if os.path.realpath(os.path.join(directory, name)) in staging}

        shutil.copytree(root, copy, symlinks=True, ignore=leave_out)
        for spec in specs:
            target = os.path.join(copy, os.path.relpath(os.path.realpath(spec["path"]), root))
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(spec["content"])
        for path in deleted:
            target = os.path.join(copy, os.path.relpath(os.path.realpath(path), root))
            if os.path.lexists(target):
                os.unlink(target)
        rc, out, err = module.run_command(_command(check["command"], copy))
        if rc == 0:
            return None
        return f"{out} {err}".strip().replace(copy, root) or f"the check exited with {rc}"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _in_tree(module: Module, path: str) -> bool:
    root = os.path.realpath(module.params["tree_check"]["root"])
    return os.path.realpath(path).startswith(root + os.sep)


def _tree_verdicts(module: Module, staged: list, deleted: list) -> dict:
    """label -> refusal for the staged files (spec, label, temporary) the tree check refuses: none when the tree
    with all of them passes; else each one alone, then the survivors together."""
    checked = [entry for entry in staged if _in_tree(module, entry[0]["path"])]
    if not checked and not deleted:
        return {}
    whole = _tree_refusal(module, [spec for spec, _, _ in checked], deleted)
    if whole is None:
        return {}
    if not checked:
        return {"": whole}  # pruning alone breaks the tree: nothing is pruned
    verdicts = {}
    for spec, label, _ in checked:
        alone = _tree_refusal(module, [spec], deleted)
        if alone is not None:
            verdicts[label] = alone
    survivors = [spec for spec, label, _ in checked if label not in verdicts]
    together = _tree_refusal(module, survivors, deleted) if survivors else None
    if together is not None or not verdicts:
        return {label: together or whole for _, label, _ in checked}
    return verdicts


def _after(module: Module, spec: dict) -> None:
    rc, out, err = module.run_command(_command(spec["after"], spec["path"]))
    if rc != 0:
        module.fail_json(msg=f"{' '.join(spec['after'])} failed for {spec['path']}: {out} {err}".strip(), rc=rc)


def _prune(module: Module, keep: set[str], dry: bool = False) -> list[str]:
    keep = keep | {str(path) for path in module.params["keep"]}
    pruned = []
    for entry in module.params["prune"]:
        directory, suffix = entry["directory"], entry["suffix"]
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if not name.endswith(suffix) or not name.startswith(entry.get("prefix") or "") or path in keep:
                continue
            if not os.path.isfile(path):
                continue
            stem = path[: -len(suffix)]
            companions = [stem + other for other in entry.get("companions") or [] if os.path.isfile(stem + other)]
            pruned.extend([path, *companions])
            if not module.check_mode and not dry:
                stem_name = name[len(entry.get("prefix") or "") : -len(suffix)]
                unit = f"{entry['unit_prefix']}{stem_name}" if entry.get("unit_prefix") else None
                for stale in (path, *companions):
                    _keep_previous(module, {"path": stale, "unit": unit})
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


def _install_tree(module: Module) -> tuple[list, list, list, list]:
    """The files of a checked tree: each staged (and checked alone by its own validator), then the tree check on
    all of them; only what both accept goes live. Files outside the tree (a key file a vhost names) go live
    before the check, which reads them at their real paths; one whose unit's tree file is then refused is put
    back. A file whose `requires` (labels) was refused is refused too. Returns changed, rejected, diffs and
    pruned."""
    changed, rejected, diffs, staged, outside = [], [], [], [], []
    keep = {str(spec["path"]) for spec in module.params["files"]}
    try:
        for spec in module.params["files"]:
            label, unit = str(spec.get("label") or spec["path"]), str(spec.get("unit") or spec.get("label") or "")
            refused = {entry["label"] for entry in rejected} & set(spec.get("requires") or [])
            if refused:
                rejected.append({"label": label, "unit": unit or label, "msg": f"not installed: {sorted(refused)[0]} "
                                 "was refused"})  # fmt: skip
                continue
            live = _live_content(str(spec["path"]))
            if live == spec["content"]:
                continue
            temporary, message = _stage(module, spec)
            if message is not None:
                _discard(temporary)
                rejected.append({"label": label, "unit": unit or label, "msg": message})
                continue
            if module.diff:
                diffs.append(_diff(str(spec["path"]), live, spec))
            if _in_tree(module, str(spec["path"])):
                staged.append((spec, label, temporary))
                continue
            _commit(module, spec, temporary)
            outside.append((spec, label, live))
        deleted = _prune(module, keep, dry=True)
        verdicts = _tree_verdicts(module, staged, deleted)
        for spec, label, temporary in staged:
            if label in verdicts:
                rejected.append({"label": label, "unit": str(spec.get("unit") or label), "msg": verdicts[label]})
                diffs = [d for d in diffs if d.get("after_header") != spec["path"]]
                continue
            _commit(module, spec, temporary)
            changed.append(label)
    finally:
        for _, _, temporary in staged:
            _discard(temporary)
    changed = _keep_or_put_back(module, outside, {entry["unit"] for entry in rejected}) + changed
    some_accepted = not verdicts or any(label not in verdicts for _, label, _ in staged)
    pruned = _prune(module, keep) if "" not in verdicts and some_accepted else []
    return changed, rejected, diffs, pruned


def _keep_or_put_back(module: Module, outside: list, refused_units: set) -> list[str]:
    """The labels of the files outside the tree that stay live; those of a refused unit get their live version
    back (a file that did not exist is deleted)."""
    kept = []
    for spec, label, live in outside:
        if str(spec.get("unit") or label) not in refused_units:
            kept.append(label)
            continue
        if module.check_mode:
            continue
        if live is None:
            os.unlink(str(spec["path"]))
            continue
        temporary, _ = _stage(module, {**spec, "content": live, "validate": None})
        _commit(module, spec, temporary)
    return kept


def _make_dirs(module: Module) -> list[str]:
    made = []
    for entry in module.params["make_dirs"]:
        path = str(entry["path"])
        if os.path.lexists(path) or not os.path.isdir(os.path.dirname(path)):
            continue
        made.append(path)
        if not module.check_mode:
            os.mkdir(path, 0o700)
            os.chown(path, int(entry["uid"]), int(entry["gid"]))
            os.chmod(path, int(str(entry["mode"]), 8))
    return made


def main() -> None:
    module = Module(json.loads(ARGUMENTS))
    module.made_dirs = _make_dirs(module)
    if module.params["tree_check"]:
        changed, rejected, diffs, pruned = _install_tree(module)
        _finish(module, changed, rejected, diffs, pruned)
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
    _finish(module, changed, rejected, diffs, pruned)


def _needs_reload(module: Module, changed: list, pruned: list) -> bool:
    if not module.params["reload"] or module.check_mode:
        return False
    if module.params["reload_when"]:
        return bool(set(changed) & set(module.params["reload_when"]))
    return bool(changed or pruned)


def _finish(module: Module, changed: list, rejected: list, diffs: list, pruned: list) -> None:
    if _needs_reload(module, changed, pruned):
        _reload(module)
    removed = [] if rejected else _remove(module)
    if module.diff:  # a file put there by hand shows in plan and drift; its content stays out of the record
        diffs.extend({"prepared": f"--- {path}\n+++ /dev/null\ndeleted: not in the desired state\n"} for path in pruned)
    module.exit_json(
        changed=bool(changed or pruned or removed or module.made_dirs),
        made_dirs=module.made_dirs,
        changed_files=changed,
        rejected_files=rejected,
        pruned_files=pruned,
        removed_files=removed,
        previous=module.previous,
        diff=diffs,
    )


if __name__ == "__main__":
    main()
