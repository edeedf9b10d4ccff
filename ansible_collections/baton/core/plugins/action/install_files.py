"""Render templates on the controller, then install them all with one baton.core.install_files module call.

The template action costs two remote module calls per file (stat, then copy); a run over a thousand zone
files or a few map files pays them once instead.
"""

from __future__ import annotations

import os
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.template import generate_ansible_template_vars, trust_as_template

_FILE_KEYS = frozenset({"src", "dest", "item", "label", "mode", "owner", "group", "validate", "after", "creates"})


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset({"files", "prune", "owner", "group", "service", "reload"})

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        files = args.pop("files", None)
        if not isinstance(files, list):
            raise AnsibleActionFail("files must be a list")
        self._templates: dict[str, tuple[str, Any]] = {}
        rendered = [self._file(entry, task_vars) for entry in files]
        module_result = self._execute_module(
            module_name="baton.core.install_files", module_args={**args, "files": rendered}, task_vars=task_vars
        )
        # The module's echo of its arguments is every rendered file (megabytes for 10,000 mailboxes, and the
        # password hashes): it would travel through every callback and run event for nothing.
        module_result.pop("invocation", None)
        result.update(module_result)
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
            self._templates[src] = (source, trust_as_template(self._loader.get_text_file_contents(source)))
        source, template = self._templates[src]
        variables = {**task_vars, **generate_ansible_template_vars(path=src, fullpath=source, dest_path=dest)}
        variables["item"] = item
        templar = self._templar.copy_with_new_env(searchpath=[os.path.dirname(source)], available_variables=variables)
        return str(templar.template(template, escape_backslashes=False, overrides={"trim_blocks": True}))
