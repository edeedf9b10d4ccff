"""Render templates on the controller, then install them all with one baton.core.install_files module call.

The template action costs two remote module calls per file (stat, then copy); a run over a thousand zone
files or a few map files pays them once instead. The files and options travel as one opaque argument,
zlib-compressed JSON in base64: the module gets its arguments spliced into its source (see the module).
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.template import generate_ansible_template_vars, trust_as_template

_FILE_KEYS = frozenset(
    {
        "src",
        "dest",
        "item",
        "label",
        "unit",
        "secret",
        "mode",
        "owner",
        "group",
        "validate",
        "after",
        "creates",
        "requires",
    }
)


def _rejected_message(rejected: list[dict[str, str]], files: list[dict[str, Any]]) -> str:
    checkers = {
        str(spec.get("label") or spec["path"]): os.path.basename(spec["validate"][0])
        for spec in files
        if spec.get("validate")
    }
    details = "\n".join(
        f"{entry['label']}: {checkers.get(entry['label'], 'its check')} refused it: {entry['msg'].strip()}"
        for entry in rejected
    )
    labels = ", ".join(entry["label"] for entry in rejected)
    return f"{labels} refused; the previous versions stay live, the other files went on.\n{details}"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(
        {
            "files",
            "prune",
            "keep",
            "remove",
            "owner",
            "group",
            "service",
            "reload",
            "reload_when",
            "problems",
            "fail_on_rejected",
            "tree_check",
            "previous_dir",
            "make_dirs",
        }
    )

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        problems = args.pop("problems", None) or []
        fail_on_rejected = bool(args.pop("fail_on_rejected", False))
        if problems:  # the role's checks of its data, in the same task (a separate assert costs a task)
            raise AnsibleActionFail("; ".join(str(problem) for problem in problems[:20]))
        files = args.pop("files", None)
        if not isinstance(files, list):
            raise AnsibleActionFail("files must be a list")
        self._templates: dict[str, tuple[str, Any, Any]] = {}
        rendered = [self._file(entry, task_vars) for entry in files]
        payload = zlib.compress(json.dumps({**args, "files": rendered}).encode(), 1)
        module_result = self._execute_module(
            module_name="baton.core.install_files",
            module_args={"payload": base64.b64encode(payload).decode("ascii")},
            task_vars=task_vars,
        )
        result.update(module_result)
        rejected = module_result.get("rejected_files")
        if rejected:
            message = _rejected_message(rejected, rendered)
            if fail_on_rejected:
                result.update(failed=True, msg=message)
            else:  # loud in a manual run; the panel reads rejected_files and fails only those objects
                result.setdefault("warnings", []).append(message)
        return result

    def _file(self, entry: Any, task_vars: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(entry, dict) or not {"src", "dest"} <= entry.keys() or entry.keys() - _FILE_KEYS:
            raise AnsibleActionFail(f"each file needs src and dest, and only {sorted(_FILE_KEYS)}")
        spec = {key: value for key, value in entry.items() if key not in {"src", "dest", "item"}}
        spec["path"] = entry["dest"]
        spec["content"] = self._render(entry["src"], entry["dest"], task_vars, entry.get("item"))
        return spec

    def _render(self, src: str, dest: str, task_vars: dict[str, Any], item: Any) -> str:
        """The template action's rendering (ansible_managed, trim_blocks), with `item` as in a loop."""
        if src not in self._templates:
            source = self._find_needle("templates", src)
            templar = self._templar.copy_with_new_env(searchpath=[os.path.dirname(source)])
            _compile_each_template_once(templar)
            self._templates[src] = (source, trust_as_template(self._loader.get_text_file_contents(source)), templar)
        source, template, templar = self._templates[src]
        variables = {**task_vars, **generate_ansible_template_vars(path=src, fullpath=source, dest_path=dest)}
        variables["item"] = item
        templar.available_variables = variables
        return str(templar.template(template, escape_backslashes=False, overrides={"trim_blocks": True}))


def _compile_each_template_once(templar: Any) -> None:
    """ansible-core 2.19 compiles a template on every call (Jinja's from_string has no cache): 8 of the 11 ms a
    zone file took, most of a check run over 200 zones. One templar renders every file of a source here, so the
    same text with the same options compiles once. The compiled template takes the variables as its argument,
    so it is safe to reuse. Without the (private) hook, rendering is only slower."""
    engine = getattr(templar, "_engine", None)
    compile_template = getattr(engine, "_compile_template", None)
    if compile_template is None:
        return
    compiled: dict[tuple[str, Any], Any] = {}

    def compile_cached(template: str, options: Any) -> Any:
        key = (str(template), options)
        if key not in compiled:
            compiled[key] = compile_template(template, options)
        return compiled[key]

    engine._compile_template = compile_cached
