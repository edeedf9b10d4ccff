"""The host_vars the panel rendered for one run, read as plain data.

ansible-core 2.19 reads a host_vars file by tagging every string in it with its origin and with trust, one
object per value: for the ~6 MB of a mail server with 10,000 mailboxes that took 4-5 s of every run (the
standard library's JSON decoder reads it in 0.15 s). The panel's runner therefore writes its rendered vars
under BATON_PANEL_VARS_DIR (`<dir>/<host>/<service>.json`), outside the inventory, and enables this plugin.

Every string it returns is plain, so untrusted: Ansible 2.19 never evaluates it as a template, which is what
the `{"__ansible_unsafe": "..."}` markers ask for (they are unwrapped to the plain string); the panel's vars
are data and hold no template of their own. Files are parsed once per process (the plugin is asked again at
every task) and handed out as the same objects: Ansible combines variables into new dicts and never changes
the ones a vars plugin returned.

A secret (a private key) is in the file only as `{"__baton_secret": "sha256:<digest>"}`: its value comes from the
panel's worker, which serves the run's secrets from memory on the unix socket BATON_SECRETS_SOCKET to whoever
presents BATON_SECRETS_TOKEN (runner.py); they are fetched once per process, at the first secret.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from ansible.errors import AnsibleError
from ansible.inventory.host import Host
from ansible.plugins.vars import BaseVarsPlugin

DOCUMENTATION = """
    name: panel_vars
    short_description: the host_vars the Baton panel rendered for a run, read as plain (untrusted) data
    description:
      - Reads C(<BATON_PANEL_VARS_DIR>/<inventory_hostname>/*.json) for every host, in name order.
      - Strings are returned untrusted (never templated); the panel's unsafe markers become the plain string.
      - Does nothing when BATON_PANEL_VARS_DIR is unset.
    options: {}
"""

_UNSAFE_KEY = "__ansible_unsafe"
_SECRET_KEY = "__baton_secret"
_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}
_SECRETS: dict[str, str] = {}


def _fetch_secrets() -> dict[str, str]:
    path, token = os.environ.get("BATON_SECRETS_SOCKET"), os.environ.get("BATON_SECRETS_TOKEN", "")
    if not path:
        raise AnsibleError("these host vars hold secrets, and no BATON_SECRETS_SOCKET gives them to this run")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(10)
        client.connect(path)
        client.sendall(token.encode() + b"\n")
        chunks = []
        while chunk := client.recv(65536):
            chunks.append(chunk)
    try:
        secrets = json.loads(b"".join(chunks) or b"null")
    except ValueError:
        secrets = None
    if not isinstance(secrets, dict):
        raise AnsibleError("the panel refused to give this run its secrets")
    return {str(key): str(value) for key, value in secrets.items()}


def _secret(ref: str) -> str:
    if ref not in _SECRETS:
        _SECRETS.update(_fetch_secrets())
    if ref not in _SECRETS:
        raise AnsibleError(f"the secret {ref} was not given to this run")
    return _SECRETS[ref]


def _unmark(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _UNSAFE_KEY in obj:
        return str(obj[_UNSAFE_KEY])
    if len(obj) == 1 and _SECRET_KEY in obj:
        return _secret(str(obj[_SECRET_KEY]))
    return obj


def _parse(path: str) -> dict[str, Any]:
    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle, object_hook=_unmark)
        if not isinstance(data, dict):
            raise ValueError(f"{path}: host vars must be a JSON object")
        _PARSED[key] = data
    return _PARSED[key]


class VarsModule(BaseVarsPlugin):
    def get_vars(self, loader: Any, path: str, entities: Any, cache: bool = True) -> dict[str, Any]:
        directory = os.environ.get("BATON_PANEL_VARS_DIR")
        if not directory:
            return {}
        data: dict[str, Any] = {}
        for entity in entities if isinstance(entities, list) else [entities]:
            if not isinstance(entity, Host):
                continue
            host_dir = os.path.join(directory, entity.name)
            if not os.path.isdir(host_dir):
                continue
            for name in sorted(os.listdir(host_dir)):
                if name.endswith(".json"):
                    data.update(_parse(os.path.join(host_dir, name)))
        return data
