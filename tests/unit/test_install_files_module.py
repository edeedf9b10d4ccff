"""The baton.core.install_files module run as Ansible runs it: its source with the JSON arguments spliced in,
fed to a Python interpreter. Real files in a temporary directory, real validation commands; the roles' Molecule
scenarios run it on real servers."""

from __future__ import annotations

import base64
import grp
import json
import os
import pwd
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

MODULE = Path(__file__).resolve().parents[2] / "ansible_collections/baton/core/plugins/modules/install_files.py"
OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(check_mode: bool = False, **options: Any) -> dict[str, Any]:
    payload = base64.b64encode(zlib.compress(json.dumps({"owner": OWNER, "group": GROUP, **options}).encode()))
    arguments = json.dumps({"payload": payload.decode(), "_ansible_check_mode": check_mode, "_ansible_diff": True})
    source = MODULE.read_text().replace("<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>", arguments)
    done = subprocess.run([sys.executable, "-"], input=source, capture_output=True, text=True, check=False)
    return json.loads(done.stdout)


def test_changed_files_go_live_after_their_check_and_refused_ones_keep_the_live_version(tmp_path: Path) -> None:
    (tmp_path / "bad.conf").write_text("old\n")
    files = [
        {"path": str(tmp_path / "good.conf"), "content": "new\n", "validate": ["grep", "-q", "new", "%s"]},
        {"path": str(tmp_path / "bad.conf"), "content": "broken\n", "validate": ["grep", "-q", "new", "%s"]},
    ]
    result = run(files=files)
    assert result["changed_files"] == [str(tmp_path / "good.conf")]
    assert [entry["label"] for entry in result["rejected_files"]] == [str(tmp_path / "bad.conf")]
    assert (tmp_path / "good.conf").read_text() == "new\n" and (tmp_path / "bad.conf").read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["bad.conf", "good.conf"]  # no temporary file left behind
    assert run(files=files[:1])["changed"] is False  # unchanged files are only compared


def test_removals_wait_for_a_run_without_refused_files(tmp_path: Path) -> None:
    gone = tmp_path / "gone.db"
    gone.write_text("zone\n")
    refused = {"path": str(tmp_path / "list.conf"), "content": "x\n", "validate": ["false"]}
    result = run(files=[refused], remove=[str(gone)])
    assert result["removed_files"] == [] and gone.exists()  # the live list may still name it
    accepted = {**refused, "validate": ["true"]}
    result = run(files=[accepted], remove=[str(gone), str(tmp_path / "never-there.db")])
    assert result["removed_files"] == [str(gone)] and not gone.exists()


def test_check_mode_reports_and_changes_nothing(tmp_path: Path) -> None:
    live = tmp_path / "a.conf"
    live.write_text("old\n")
    result = run(check_mode=True, files=[{"path": str(live), "content": "new\n"}], remove=[str(live)])
    assert result["changed"] is True and result["diff"][0]["after"] == "new\n"
    assert live.read_text() == "old\n"


def test_content_cannot_leave_its_argument(tmp_path: Path) -> None:
    nasty = (
        '""" + __import__("os").system("touch pwned") + r"""\\\n<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>> syslog.LOG_USER'
    )
    target = tmp_path / "t.txt"
    result = run(files=[{"path": str(target), "content": nasty, "mode": "0600"}])
    assert result["changed"] is True and target.read_text() == nasty
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert not (Path.cwd() / "pwned").exists()


def test_refused_files_name_their_unit_and_secret_files_never_show_their_content(tmp_path: Path) -> None:
    secret = tmp_path / "users"
    secret.write_text("alice:{SHA512-CRYPT}$6$old::::::\n")
    files = [
        {"path": str(secret), "content": "alice:{SHA512-CRYPT}$6$new::::::\n", "secret": True, "label": "passwd-file"},
        {"path": str(tmp_path / "a.sieve"), "content": "x", "validate": ["false"], "unit": "mailbox:alice"},
    ]
    result = run(check_mode=True, files=files)
    assert result["rejected_files"][0]["unit"] == "mailbox:alice"
    assert result["changed_files"] == ["passwd-file"]
    shown = json.dumps(result)
    assert "$6$new" not in shown and "$6$old" not in shown and "content hidden" in shown


def test_a_file_put_there_by_hand_shows_in_the_diff_of_a_check(tmp_path: Path) -> None:
    (tmp_path / "rogue.sieve").write_text("keep;")
    result = run(check_mode=True, files=[], prune=[{"directory": str(tmp_path), "suffix": ".sieve"}])
    assert result["changed"] is True and result["pruned_files"] == [str(tmp_path / "rogue.sieve")]
    assert "rogue.sieve" in result["diff"][0]["prepared"] and (tmp_path / "rogue.sieve").exists()


# A stand-in for `apache2ctl -t` on the copy of a tree: refuses a tree where any file says BROKEN, where both
# halves of a conflict are present, or where required.conf is missing.
TREE_CHECK = [
    "sh",
    "-c",
    '! grep -rqs BROKEN "$1" && ! { grep -rqs HALF-A "$1" && grep -rqs HALF-B "$1"; } && test -f "$1/required.conf"'
    ' || { echo "tree refused"; exit 1; }',
    "_",
    "%s",
]


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "conf"
    (root / "sites").mkdir(parents=True)
    (root / "required.conf").write_text("x\n")
    (root / "sites" / "old.conf").write_text("old site\n")
    return root


def _site(root: Path, name: str, content: str) -> dict[str, Any]:
    return {"path": str(root / "sites" / f"{name}.conf"), "content": content, "label": name, "unit": f"site:{name}"}


def test_a_tree_check_refuses_only_the_file_that_breaks_the_tree(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "sites" / "b.conf").write_text("b live\n")
    files = [_site(root, "a", "a new\n"), _site(root, "b", "b BROKEN\n"), _site(root, "c", "c new\n")]
    result = run(files=files, tree_check={"root": str(root), "command": TREE_CHECK})
    assert result["changed_files"] == ["a", "c"]
    assert [(e["unit"], e["msg"]) for e in result["rejected_files"]] == [("site:b", "tree refused")]
    assert (root / "sites" / "b.conf").read_text() == "b live\n"  # the live version stays
    assert (root / "sites" / "a.conf").read_text() == "a new\n"
    assert sorted(os.listdir(root / "sites")) == ["a.conf", "b.conf", "c.conf", "old.conf"]  # nothing left over


def test_files_that_break_the_tree_only_together_are_both_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    files = [_site(root, "a", "HALF-A\n"), _site(root, "b", "HALF-B\n")]
    result = run(files=files, tree_check={"root": str(root), "command": TREE_CHECK})
    assert result["changed_files"] == [] and {e["label"] for e in result["rejected_files"]} == {"a", "b"}
    assert sorted(os.listdir(root / "sites")) == ["old.conf"]


def test_pruning_is_checked_with_the_tree(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    prune = [{"directory": str(root / "sites"), "suffix": ".conf"}]
    result = run(files=[_site(root, "a", "a\n")], prune=prune, tree_check={"root": str(root), "command": TREE_CHECK})
    assert result["pruned_files"] == [str(root / "sites" / "old.conf")] and result["changed_files"] == ["a"]
    # a stale file whose removal breaks the tree stays, and nothing else is pruned
    (root / "required.conf").rename(root / "sites" / "required.conf")
    (root / "sites" / "stale.conf").write_text("stale\n")
    whole = [{"directory": str(root / "sites"), "suffix": ".conf"}, {"directory": str(root), "suffix": ".conf"}]
    result = run(files=[_site(root, "a", "a\n")], prune=whole, tree_check={"root": str(root), "command": TREE_CHECK})
    assert result["pruned_files"] == [] and (root / "sites" / "stale.conf").exists()


def test_files_outside_the_tree_are_not_part_of_its_check(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    outside = {"path": str(tmp_path / "cert.pem"), "content": "BROKEN but not in the tree\n", "label": "cert"}
    result = run(files=[outside, _site(root, "a", "a\n")], tree_check={"root": str(root), "command": TREE_CHECK})
    assert result["changed_files"] == ["cert", "a"] and result["rejected_files"] == []


def test_reload_when_reloads_only_for_the_files_it_names(tmp_path: Path, monkeypatch: Any) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text("#!/bin/sh\nexit 0\n")  # "the service is active"
    (bin_dir / "systemctl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    reloads = tmp_path / "reloads"
    options = {"service": "postfix", "reload": ["sh", "-c", f"echo x >> {reloads}"], "reload_when": ["domains"]}

    def files(domains: str, aliases: str) -> list[dict[str, str]]:
        return [
            {"path": str(tmp_path / "virtual_domains"), "label": "domains", "content": domains},
            {"path": str(tmp_path / "virtual_aliases"), "label": "aliases", "content": aliases},
        ]

    assert run(files=files("a\n", "x\n"), **options)["changed_files"] == ["domains", "aliases"]
    assert reloads.read_text() == "x\n"
    assert run(files=files("a\n", "y\n"), **options)["changed_files"] == ["aliases"]
    assert reloads.read_text() == "x\n", "a table the daemon re-reads by itself needs no reload"
    run(files=files("b\n", "y\n"), **options)
    assert reloads.read_text() == "x\nx\n"


def test_kept_files_are_not_pruned(tmp_path: Path) -> None:
    """A targeted run lists the files of the objects it does not touch as `keep`: they stay as they are."""
    for name in ("touched.conf", "untouched.conf", "gone.conf"):
        (tmp_path / name).write_text("old\n")
    files = [{"path": str(tmp_path / "touched.conf"), "content": "new\n", "label": "touched"}]
    prune = [{"directory": str(tmp_path), "suffix": ".conf"}]
    result = run(files=files, prune=prune, keep=[str(tmp_path / "untouched.conf")])
    assert result["pruned_files"] == [str(tmp_path / "gone.conf")] and result["changed_files"] == ["touched"]
    assert (tmp_path / "untouched.conf").read_text() == "old\n" and not (tmp_path / "gone.conf").exists()


def test_missing_directories_are_made_under_existing_parents_and_existing_ones_left_alone(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "old").mkdir(mode=0o755)
    uid, gid = os.getuid(), os.getgid()
    dirs = [
        {"path": str(tmp_path / "web" / "shop"), "uid": uid, "gid": gid, "mode": "0751"},
        {"path": str(tmp_path / "web" / "shop" / "public"), "uid": uid, "gid": gid, "mode": "0751"},
        {"path": str(tmp_path / "web" / "old"), "uid": uid, "gid": gid, "mode": "0700"},
        {"path": str(tmp_path / "gone" / "x" / "public"), "uid": uid, "gid": gid, "mode": "0751"},
    ]
    planned = run(check_mode=True, files=[], make_dirs=dirs)
    assert planned["made_dirs"] == [dirs[0]["path"]] and not (tmp_path / "web" / "shop").exists()
    result = run(files=[], make_dirs=dirs)
    assert result["changed"] and result["made_dirs"] == [dirs[0]["path"], dirs[1]["path"]]
    assert (tmp_path / "web" / "shop" / "public").stat().st_mode & 0o777 == 0o751
    assert (tmp_path / "web" / "old").stat().st_mode & 0o777 == 0o755, "an existing directory is not touched"
    assert not (tmp_path / "gone").exists(), "parents are never made"
    assert run(files=[], make_dirs=dirs)["made_dirs"] == []


def test_a_file_outside_the_tree_goes_live_first_and_back_when_its_units_tree_file_is_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (tmp_path / "b.pem").write_text("old key of b\n")
    # As apache2ctl -t: every key file a vhost of the (copied) tree names must exist at its real path.
    script = (
        f'for f in "$1"/sites/*.conf; do k=$(cut -d" " -f1 "$f"); case $k in *.pem) test -f {tmp_path}/$k || '
        'exit 1;; esac; done; ! grep -rq BROKEN "$1"'
    )
    check = ["/bin/sh", "-c", script, "_", "%s"]
    files = [
        {"path": str(tmp_path / "a.pem"), "content": "key of a\n", "label": "key a", "unit": "site:a"},
        {"path": str(tmp_path / "b.pem"), "content": "new key of b\n", "label": "key b", "unit": "site:b"},
        {"path": str(tmp_path / "c.pem"), "content": "key of c\n", "label": "key c", "unit": "site:c",
         "validate": ["false"]},
        # Each vhost names its key file: the check needs it in place (a.pem is new).
        {**_site(root, "a", "a.pem"), "label": "vhost a", "unit": "site:a", "requires": ["key a"]},
        {**_site(root, "b", "b.pem BROKEN"), "label": "vhost b", "unit": "site:b", "requires": ["key b"]},
        {**_site(root, "c", "c.pem"), "label": "vhost c", "unit": "site:c", "requires": ["key c"]},
    ]  # fmt: skip
    result = run(files=files, tree_check={"root": str(root), "command": check})
    assert result["changed_files"] == ["key a", "vhost a"]
    assert {entry["label"]: entry["msg"][:30] for entry in result["rejected_files"]} == {
        "key c": "validation exited with 1",
        "vhost c": "not installed: key c was refus",
        "vhost b": result["rejected_files"][2]["msg"][:30],
    }
    assert (tmp_path / "a.pem").read_text() == "key of a\n" and (root / "sites" / "a.conf").exists()
    assert (tmp_path / "b.pem").read_text() == "old key of b\n", "put back: its vhost was refused"
    assert not (tmp_path / "c.pem").exists() and not (root / "sites" / "c.conf").exists()
