"""Secrets reach a run only in memory: the rendered text carries their digests (history, plans, the run's vars file),
the worker serves the values on a unix socket to the panel_vars plugin that presents the run's token."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from panel.provisioning import hostvars
from panel.provisioning.runner import SecretServer

PLUGIN = Path(__file__).resolve().parents[2] / "ansible_collections/baton/core/plugins/vars/panel_vars.py"
KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"


def plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("panel_vars_under_test", PLUGIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rendered() -> tuple[str, dict[str, str]]:
    variables = {"apache__host_sites": [{"name": hostvars.unsafe("alice-shop"), "tls_pem": hostvars.secret(KEY)}]}
    return hostvars.dump(variables), hostvars.secrets_of(variables)


def test_the_text_carries_only_the_digest() -> None:
    text, secrets = rendered()
    assert "PRIVATE KEY" not in text and "MIGHAgEA" not in text
    [ref] = secrets
    assert ref in text and secrets[ref] == KEY
    assert hostvars.load(text)["apache__host_sites"][0]["tls_pem"] == ref


def test_the_plugin_gets_the_value_from_the_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text, secrets = rendered()
    vars_file = tmp_path / "web.json"
    vars_file.write_text(text)
    server = SecretServer(tmp_path, secrets)
    try:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        parsed: Any = plugin()._parse(str(vars_file))
    finally:
        server.close()
    assert parsed["apache__host_sites"][0]["tls_pem"] == KEY
    assert parsed["apache__host_sites"][0]["name"] == "alice-shop"


def test_a_wrong_token_gets_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ansible.errors import AnsibleError

    text, secrets = rendered()
    vars_file = tmp_path / "web.json"
    vars_file.write_text(text)
    server = SecretServer(tmp_path, secrets)
    try:
        monkeypatch.setenv("BATON_SECRETS_SOCKET", server.env()["BATON_SECRETS_SOCKET"])
        monkeypatch.setenv("BATON_SECRETS_TOKEN", "0" * 64)
        with pytest.raises(AnsibleError, match="refused"):
            plugin()._parse(str(vars_file))
    finally:
        server.close()


def test_without_the_socket_a_secret_is_an_error_not_a_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ansible.errors import AnsibleError

    text, _ = rendered()
    vars_file = tmp_path / "web.json"
    vars_file.write_text(text)
    monkeypatch.delenv("BATON_SECRETS_SOCKET", raising=False)
    with pytest.raises(AnsibleError, match="no BATON_SECRETS_SOCKET"):
        plugin()._parse(str(vars_file))
    assert json.loads(text)["apache__host_sites"][0]["tls_pem"] == {"__baton_secret": next(iter(rendered()[1]))}


def test_a_deep_run_directory_gets_a_short_socket_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = tmp_path / ("d" * 90)
    deep.mkdir()
    text, secrets = rendered()
    (deep / "web.json").write_text(text)
    server = SecretServer(deep, secrets)
    try:
        assert len(str(server.path)) < 108 and oct(server.path.parent.stat().st_mode & 0o777) == "0o700"
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        assert plugin()._parse(str(deep / "web.json"))["apache__host_sites"][0]["tls_pem"] == KEY
    finally:
        server.close()
    assert not server.path.exists() and not server.path.parent.exists()
