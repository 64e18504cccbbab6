"""Real git repositories built in temp dirs for the scanner tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

ENV = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
       "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_CONFIG_NOSYSTEM": "1",
       "GIT_TERMINAL_PROMPT": "0"}


def run_git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env={**ENV, **(env or {})}, capture_output=True,
                          check=True, text=True)
    return proc.stdout.strip()


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def make_repo(root: Path, files: Mapping[str, str | bytes], *, commit: bool = True, when: str | None = None,
              tags: Mapping[str, str] | None = None, branch: str = "main") -> Path:
    """A work tree with `files` committed once (dated `when`), tags {name: ISO date} on that commit."""
    root.mkdir(parents=True, exist_ok=True)
    run_git(root, "init", "-q", "-b", branch)
    write_files(root, files)
    if commit:
        run_git(root, "add", "-A")
        dated = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when} if when else {}
        run_git(root, "commit", "-q", "-m", "initial", "--allow-empty", env=dated)
        for name, date in (tags or {}).items():
            run_git(root, "tag", "-a", name, "-m", name, env={"GIT_COMMITTER_DATE": date})
    return root


def add_commit(root: Path, files: Mapping[str, str | bytes], message: str = "change") -> str:
    write_files(root, files)
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", message)
    return run_git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo_factory(tmp_path: Path):
    counter = iter(range(10_000))

    def factory(files: Mapping[str, str | bytes], **kw) -> Path:
        return make_repo(tmp_path / f"repo{next(counter)}", files, **kw)

    return factory
