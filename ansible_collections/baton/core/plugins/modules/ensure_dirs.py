#!/usr/bin/python
"""Create or fix many directories (owner, group, mode, POSIX ACL) in one module call, never through a symlink.

Standard library only, with its arguments substituted by Ansible ("JSON args" module style), like install_files.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: ensure_dirs
short_description: Directories with numeric owner, group, mode and ACL entries, in one remote step
description:
  - Each directory in C(dirs), in order, is created when missing, and its owner, group, mode and extended ACL
    entries are set when they differ. Parents come first in the list (the role sorts them).
  - A path that exists but is not a directory, or is a symlink, is never followed nor changed; it is listed in
    C(rejected_dirs) with its C(unit) and the other directories go on (a customer cannot make the role write
    through a link). The task does not fail for it unless C(fail_on_rejected).
  - C(acl) lists the named entries (C(user:<uid>:r-x), C(group:<gid>:---)); they replace the directory's named
    entries, the base entries follow C(mode). An empty list removes every extended entry.
  - Nothing is deleted, except a directory listed with C(state=absent): its whole tree is removed, only when it
    is a directory (not a symlink) and C(owned_path) (a directory inside it, by default itself) is owned by the
    entry's C(uid): the account whose files it holds, so no input can make the role remove another account's or
    the system's directory. Otherwise it is rejected.
options:
  dirs:
    description: Directories, each with C(path), C(uid), C(gid), C(mode) (octal string), optional C(acl) and C(unit);
      or C(path), C(uid), C(unit), C(state=absent) and optional C(owned_path) for one to remove.
    type: list
    elements: dict
    required: true
  fail_on_rejected:
    description: Fail the task after the other directories were handled when one was rejected.
    type: bool
    default: false
"""

RETURN = r"""
changed_dirs:
  description: Paths created, changed or removed (or that would be, in check mode).
  type: list
  returned: always
rejected_dirs:
  description: Directories left alone, each with C(path), C(unit) and C(msg).
  type: list
  returned: always
"""

import errno
import json
import os
import shutil
import stat
import struct
import subprocess
import sys

# Ansible replaces the marker with the module's arguments as JSON (see install_files).
ARGUMENTS = r"""<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>"""


def _run(command: list[str]) -> tuple[int, str]:
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace", env=env, check=False)
    except OSError as error:
        return 127, str(error)
    return done.returncode, (done.stdout + done.stderr).strip()


_ACL_USER, _ACL_GROUP = 0x02, 0x08  # tags of named entries in the system.posix_acl_access xattr


def _named_acl(path: str) -> list[str] | None:
    """The directory's named ACL entries (user:<uid>:..., group:<gid>:...), read from the kernel's xattr (a
    getfacl per directory cost 1 ms each: 5 s for 1,000 accounts); None where ACLs are not supported."""
    try:
        raw = os.getxattr(path, "system.posix_acl_access", follow_symlinks=False)
    except OSError as error:
        return [] if error.errno == errno.ENODATA else None
    entries = []
    for offset in range(4, len(raw) - 7, 8):  # a 4-byte version header, then (tag u16, perm u16, id u32) entries
        tag, perm, ident = struct.unpack_from("<HHI", raw, offset)
        if tag in (_ACL_USER, _ACL_GROUP):
            entries.append(f"{'user' if tag == _ACL_USER else 'group'}:{ident}:{_perms(perm)}")
    return sorted(entries)


def _perms(bits: int) -> str:
    return ("r" if bits & 4 else "-") + ("w" if bits & 2 else "-") + ("x" if bits & 1 else "-")


def _bits(perms: str) -> int:
    return (4 if "r" in perms else 0) | (2 if "w" in perms else 0) | (1 if "x" in perms else 0)


def _mode_with_acl(mode: int, acl: list[str]) -> int:
    """What stat shows once the ACL is set: the group bits are the mask, the union of the group class."""
    mask = (mode >> 3) & 7
    for entry in acl:
        mask |= _bits(entry.rsplit(":", 1)[-1])
    return (mode & ~0o070) | (mask << 3) if acl else mode


def _remove(spec: dict, check_mode: bool) -> tuple[bool, str | None]:
    """(changed, refusal) for a directory to remove with everything in it (symlinks inside are removed, never
    followed)."""
    path, uid = str(spec["path"]), int(spec["uid"])
    owned = str(spec.get("owned_path") or path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False, None
    if not stat.S_ISDIR(info.st_mode):
        kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a directory"
        return False, f"{path} is {kind}: left alone"
    try:
        owner = os.lstat(owned)
    except FileNotFoundError:
        return False, f"{owned} is missing: {path} left alone"
    if not stat.S_ISDIR(owner.st_mode) or owner.st_uid != uid:
        return False, f"{owned} is not a directory of uid {uid}: {path} left alone"
    if not check_mode:
        shutil.rmtree(path)
    return True, None


def _ensure(spec: dict, check_mode: bool) -> tuple[bool, str | None]:
    """(changed, refusal) for one directory."""
    if spec.get("state") == "absent":
        return _remove(spec, check_mode)
    path, uid, gid = str(spec["path"]), int(spec["uid"]), int(spec["gid"])
    mode = int(str(spec["mode"]), 8)
    acl = sorted(str(entry) for entry in spec.get("acl") or [])
    try:
        info: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISDIR(info.st_mode):
        kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a directory"
        return False, f"{path} is {kind}: left alone"
    if info is None:
        if check_mode:
            return True, None
        os.mkdir(path, 0o700)
        info = os.lstat(path)
        changed = True
    else:
        changed = False
    if (info.st_uid, info.st_gid) != (uid, gid):
        changed = True
        if not check_mode:
            os.lchown(path, uid, gid)
    current_acl = _named_acl(path)
    if current_acl is None:
        if acl:
            return changed, "this filesystem has no POSIX ACLs"
        current_acl = []
    if current_acl == acl and stat.S_IMODE(info.st_mode) == _mode_with_acl(mode, acl):
        return changed, None
    if check_mode:
        return True, None
    if acl or current_acl:
        rc, out = _run(
            [
                "setfacl",
                "--set",
                ",".join([f"user::{_perms(mode >> 6)}", f"group::{_perms(mode >> 3)}", f"other::{_perms(mode)}", *acl]),
                "--",
                path,
            ]
        )
        if rc != 0:
            return True, f"setfacl failed: {out}"
    if not acl:
        os.chmod(path, mode)
    return True, None


def main() -> None:
    arguments = json.loads(ARGUMENTS)
    check_mode = bool(arguments.get("_ansible_check_mode"))
    dirs = arguments.get("dirs")
    if not isinstance(dirs, list):
        print(json.dumps({"failed": True, "msg": "dirs must be a list"}))
        sys.exit(1)
    changed, rejected = [], []
    for spec in dirs:
        try:
            did_change, refusal = _ensure(spec, check_mode)
        except (OSError, KeyError, ValueError) as error:
            did_change, refusal = False, f"{spec.get('path')}: {error}"
        if did_change:
            changed.append(str(spec["path"]))
        if refusal is not None:
            rejected.append(
                {"path": str(spec.get("path")), "unit": str(spec.get("unit") or spec.get("path")), "msg": refusal}
            )
    result = {"changed": bool(changed), "changed_dirs": changed, "rejected_dirs": rejected}
    if rejected and arguments.get("fail_on_rejected"):
        result.update(failed=True, msg="; ".join(entry["msg"] for entry in rejected[:20]))
    elif rejected:
        result["warnings"] = [f"{len(rejected)} directories left alone: " + "; ".join(e["msg"] for e in rejected[:5])]
    print(json.dumps(result))
    sys.exit(1 if result.get("failed") else 0)


if __name__ == "__main__":
    main()
