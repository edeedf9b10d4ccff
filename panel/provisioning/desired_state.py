"""The desired state of every host as files in a local git repository: one commit per applied change set,
authored by the panel user who caused it, so `git log -p` is the infrastructure's history."""

from __future__ import annotations

import difflib
import fcntl
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


def root() -> Path:
    return Path(settings.BATON_DESIRED_STATE_DIR)


def host_vars_path(host: str, service: str) -> Path:
    return root() / "host_vars" / host / f"{service}.json"


def _git(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root()), *args], check=True, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


@contextmanager
def _locked() -> Iterator[None]:
    """Workers on one machine share the repository; git's own index lock would make concurrent commits fail."""
    root().mkdir(parents=True, exist_ok=True)
    with open(root() / ".baton.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ensure_repo() -> None:
    if not (root() / ".git").exists():
        root().mkdir(parents=True, exist_ok=True, mode=0o700)
        _git("init", "-q")
        (root() / ".gitignore").write_text(".baton.lock\n")
        _git("add", ".gitignore")
        _git("-c", "user.name=Baton", "-c", "user.email=baton@localhost", "commit", "-q", "-m", "Desired state")


def read(host: str, service: str) -> str:
    path = host_vars_path(host, service)
    return path.read_text() if path.exists() else ""


def unified_diff(before: str, after: str, name: str) -> str:
    if before == after:  # a converge that changes nothing: no need to walk megabytes of lines
        return ""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=f"a/{name}", tofile=f"b/{name}"
        )
    )


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def commit(host: str, service: str, text: str, *, message: str, author_name: str, author_email: str) -> bool:
    """Write the host's vars for a service and commit them; returns whether anything changed."""
    with _locked():
        _ensure_repo()
        # We hold the repository's flock, so no git command of ours is running: an index.lock left now is
        # from a worker that died mid-commit, and would block every later commit.
        (root() / ".git" / "index.lock").unlink(missing_ok=True)
        path = host_vars_path(host, service)
        write_atomically(path, text)
        _git("add", str(path.relative_to(root())))
        if subprocess.run(["git", "-C", str(root()), "diff", "--cached", "--quiet"]).returncode == 0:
            return False
        identity = {
            "GIT_AUTHOR_NAME": author_name,
            "GIT_AUTHOR_EMAIL": author_email,
            "GIT_COMMITTER_NAME": "Baton",
            "GIT_COMMITTER_EMAIL": "baton@localhost",
        }
        _git("commit", "-q", "-m", message, env=identity)
        return True
