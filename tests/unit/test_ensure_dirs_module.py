"""The baton.core.ensure_dirs module run as Ansible runs it (its source with the JSON arguments spliced in), on
real directories with real POSIX ACLs in a temporary directory. The users role's Molecule scenario runs it on a
real server."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

MODULE = Path(__file__).resolve().parents[2] / "ansible_collections/baton/core/plugins/modules/ensure_dirs.py"
UID, GID = os.getuid(), os.getgid()


def run(check_mode: bool = False, **options: Any) -> dict[str, Any]:
    arguments = json.dumps({**options, "_ansible_check_mode": check_mode})
    source = MODULE.read_text().replace("<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>", arguments)
    done = subprocess.run([sys.executable, "-"], input=source, capture_output=True, text=True, check=False)
    return json.loads(done.stdout)


def acl(path: Path) -> list[str]:
    out = subprocess.run(["getfacl", "--omit-header", "--numeric", str(path)], capture_output=True, text=True).stdout
    return sorted(
        line.split("#")[0].strip() for line in out.splitlines() if line.count(":") == 2 and line.split(":")[1]
    )


def test_creates_sets_acls_and_is_idempotent(tmp_path: Path) -> None:
    home, web = tmp_path / "acct", tmp_path / "acct" / "web"
    dirs = [
        {"path": str(home), "uid": 0, "gid": 0, "mode": "0755", "acl": [f"user:{UID + 4242}:r-x", "group:4243:---"]},
        {"path": str(web), "uid": 0, "gid": GID, "mode": "0751"},
    ]
    assert run(check_mode=True, dirs=dirs)["changed_dirs"] == [str(home), str(web)] and not home.exists()
    result = run(dirs=dirs)
    assert result["changed_dirs"] == [str(home), str(web)] and result["rejected_dirs"] == []
    assert acl(home) == ["group:4243:---", f"user:{UID + 4242}:r-x"] and acl(web) == []
    assert stat.S_IMODE(home.stat().st_mode) == 0o755 and stat.S_IMODE(web.stat().st_mode) == 0o751
    assert run(dirs=dirs)["changed"] is False
    os.chmod(home, 0o777)  # a hand edit: put back, ACL included
    subprocess.run(["setfacl", "-m", "user:12345:rwx", str(home)], check=True)
    assert run(dirs=dirs)["changed_dirs"] == [str(home)]
    assert acl(home) == ["group:4243:---", f"user:{UID + 4242}:r-x"] and stat.S_IMODE(home.stat().st_mode) == 0o755
    dirs[0]["acl"] = []
    assert run(dirs=dirs)["changed_dirs"] == [str(home)] and acl(home) == []


def test_never_follows_a_symlink_and_goes_on_with_the_others(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    os.chmod(target, 0o700)
    (tmp_path / "link").symlink_to(target)
    (tmp_path / "file").write_text("x")
    dirs = [
        {"path": str(tmp_path / "link"), "uid": UID, "gid": GID, "mode": "0777", "unit": "account:a"},
        {"path": str(tmp_path / "file"), "uid": UID, "gid": GID, "mode": "0777", "unit": "account:b"},
        {"path": str(tmp_path / "fine"), "uid": UID, "gid": GID, "mode": "0750", "unit": "account:c"},
    ]
    result = run(dirs=dirs)
    assert [
        (entry["unit"], entry["msg"].endswith("is a symlink: left alone")) for entry in result["rejected_dirs"]
    ] == [
        ("account:a", True),
        ("account:b", False),
    ]
    assert result["changed_dirs"] == [str(tmp_path / "fine")] and result.get("failed") is not True
    assert stat.S_IMODE(target.stat().st_mode) == 0o700  # the link's target is untouched
    assert run(dirs=dirs, fail_on_rejected=True)["failed"] is True


def test_removes_a_directory_only_when_it_is_the_account_s(tmp_path: Path) -> None:
    home = tmp_path / "gone"
    (home / "web" / "www").mkdir(parents=True)
    (home / "web" / "www" / "index.html").write_text("old tenant's page")
    outside = tmp_path / "system"
    outside.mkdir()
    (outside / "keep").write_text("not the account's")
    os.symlink(outside, home / "web" / "link")  # removed as a link, never followed
    linked = tmp_path / "linked"
    os.symlink(outside, linked)
    (home / "private").mkdir()
    dirs = [
        {"path": str(home), "uid": UID, "state": "absent", "owned_path": str(home / "private"), "unit": "remains:gone"},
        {"path": str(outside), "uid": UID + 1, "state": "absent", "unit": "remains:other"},  # another uid's
        {"path": str(linked), "uid": UID, "state": "absent", "unit": "remains:linked"},
        {"path": str(tmp_path / "never-was"), "uid": UID, "state": "absent", "unit": "remains:never"},
    ]
    planned = run(check_mode=True, dirs=dirs)
    assert planned["changed_dirs"] == [str(home)] and home.exists()
    result = run(dirs=dirs)
    assert result["changed_dirs"] == [str(home)] and not home.exists()
    assert (outside / "keep").read_text() == "not the account's" and linked.is_symlink()
    assert {entry["unit"] for entry in result["rejected_dirs"]} == {"remains:other", "remains:linked"}
    no_private = tmp_path / "half"
    no_private.mkdir()
    refused = run(dirs=[{**dirs[0], "path": str(no_private), "owned_path": str(no_private / "private")}])
    assert refused["rejected_dirs"] and no_private.exists()
    assert run(dirs=dirs[:1])["changed"] is False
