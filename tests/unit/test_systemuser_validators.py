"""SSH public keys, user names and scopes of system users: real keys generated here, hostile input refused with a
stable code. `ssh-keygen -l` gives the same fingerprints (checked where the binary is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.exceptions import ValidationError

from panel.systemusers.validators import parse_public_key, validate_scope, validate_system_user_name

OPENSSH = serialization.PublicFormat.OpenSSH
RAW = serialization.Encoding.OpenSSH


def _public(key: object) -> str:
    return key.public_key().public_bytes(RAW, OPENSSH).decode()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def keys() -> dict[str, object]:
    return {
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "ecdsa": ec.generate_private_key(ec.SECP256R1()),
        "ecdsa384": ec.generate_private_key(ec.SECP384R1()),
        "rsa3072": rsa.generate_private_key(public_exponent=65537, key_size=3072),
        "rsa1024": rsa.generate_private_key(public_exponent=65537, key_size=1024),
    }


def _code(text: str) -> str:
    with pytest.raises(ValidationError) as refused:
        parse_public_key(text)
    return str(refused.value.code)


@pytest.mark.parametrize(("name", "bits"), [("ed25519", 256), ("ecdsa", 256), ("ecdsa384", 384), ("rsa3072", 3072)])
def test_accepted_keys_are_rendered_without_anything_but_type_blob_comment(
    keys: dict[str, object], name: str, bits: int
) -> None:
    line = _public(keys[name])
    key = parse_public_key(f"  {line} alice@laptop  \n")
    assert key.bits == bits and key.line == f"{line} alice@laptop"
    assert key.fingerprint.startswith("SHA256:") and len(key.fingerprint) == 50


def test_the_fingerprint_is_the_one_ssh_keygen_prints(keys: dict[str, object], tmp_path: Path) -> None:
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed here (the demo and test commands install openssh-client)")
    line = _public(keys["ed25519"])
    (tmp_path / "key.pub").write_text(line + "\n")
    printed = subprocess.run(["ssh-keygen", "-l", "-f", str(tmp_path / "key.pub")], capture_output=True, text=True)
    assert parse_public_key(line).fingerprint == printed.stdout.split()[1]


def test_refusals(keys: dict[str, object]) -> None:
    ed = _public(keys["ed25519"])
    kind, blob = ed.split()
    private_pem = (
        keys["rsa3072"]
        .private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    private_openssh = (
        keys["ed25519"]
        .private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
        .decode()
    )
    assert _code(private_pem) == "private_key"
    assert _code(private_openssh) == "private_key"
    assert _code(_public(keys["rsa1024"])) == "weak_key"
    assert _code(f'command="/bin/sh" {ed}') == "options"
    assert _code(f'from="10.0.0.1",no-pty {ed}') == "options"
    assert _code(f'restrict,command="echo a b" {ed}') == "options"
    assert _code(f"{ed}\n{ed}") == "multiline"
    assert _code(f"{ed} ok\ncommand=x") == "multiline"
    assert _code(f"{kind} {blob[:-10]}") == "invalid"  # truncated
    assert _code(f"{kind} {blob[:20]}!!{blob[22:]}") == "invalid"  # not base64
    assert _code(f"ssh-rsa {blob}") == "invalid"  # claims RSA, holds ed25519
    assert _code(kind) == "invalid"
    assert _code("ssh-dss AAAAB3NzaC1kc3MAAACBAP") == "unsupported_type"
    assert _code("") == "required"
    assert _code("x" * 9000) == "max_length"


def test_a_comment_never_carries_control_characters_or_options(keys: dict[str, object]) -> None:
    ed = _public(keys["ed25519"])
    key = parse_public_key(f"{ed} bob\tat\x1bhome  " + "y" * 200)
    assert key.comment == ("bob at home " + "y" * 200)[:100] and key.line == f"{ed} {key.comment}"
    assert parse_public_key(f"{ed} \u00fcn\u00efcode").comment == "n code"
    assert parse_public_key(f"{ed}    ").line == ed


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("a/b", "invalid"),
        ("..", "invalid"),
        ("a:b", "invalid"),
        ("a\nb", "invalid"),
        ("Alice", "uppercase"),
        ("1alice", "invalid"),
        ("a" * 33, "max_length"),
        ("root", "reserved"),
        ("www-data", "reserved"),
        ("mysql", "reserved"),
        ("list", "reserved"),
        ("vmail", "reserved"),
    ],
)
def test_user_names(name: str, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_system_user_name(name)
    assert refused.value.code == code
    validate_system_user_name("shop-dev")


@pytest.mark.parametrize(
    ("scope", "code"),
    [
        ("/srv/baton/other", "absolute"),
        ("../other", "escape"),
        ("web/../../etc", "escape"),
        ("web/./shop", "escape"),
        ("web", "invalid"),
        ("private/x", "invalid"),
        ("web/Shop", "invalid"),
        ("web/shop/public", "invalid"),
        ("web//shop", "invalid"),
    ],
)
def test_scopes(scope: str, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_scope(scope)
    assert refused.value.code == code


def test_valid_scopes() -> None:
    assert validate_scope("") == "" and validate_scope("web/shop.example/") == "web/shop.example"
