"""The teams' git repositories: real `git` history written in one `git fast-import` per repository.

Each repository starts from its tree in `repo_files.FILES`, then gets the commits of its release
plan (`releases.py`) with backdated author/committer dates, and an annotated tag per release
(`v1.<sprint>.0` on sprint ends, `v1.<sprint>.1` for hotfixes) dated at the release time. The tag
commit ids are written back into the plans so pipeline executions name the same commits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from audit.demo.model import FleetModel
from audit.demo.releases import RepoPlan
from audit.demo.repo_files import COMMENT, FILES, TOUCH, TRAITS

_GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")}


@dataclass
class RepoResult:
    paths: dict[str, Path]
    traits: dict[str, dict[str, list[str]]]


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, env=_GIT_ENV,
                          check=False, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {repo}: {proc.stderr.decode(errors='replace')[-500:]}")
    return proc.stdout.decode()


def _ident(author: tuple[str, str], when: datetime) -> str:
    return f"{author[0]} <{author[1]}> {int(when.timestamp())} +0000"


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def _stream(plan: RepoPlan) -> bytes:
    """The fast-import stream of one repository: commits on main, then annotated tags."""
    files = dict(FILES[plan.repo])
    files.setdefault("README.md", f"# {plan.repo}\n\nOwned by the {plan.team} team.\n")
    changelog = ["# Changelog", ""]
    touch = TOUCH[plan.repo]
    marker = COMMENT.get(Path(touch).suffix)
    out: list[bytes] = []
    marks: dict[int, int] = {}
    for n, commit in enumerate(plan.commits, start=1):
        changes: dict[str, str] = {}
        if n == 1:
            changes.update(files)
        else:
            changelog.append(f"- {commit.when:%Y-%m-%d} {commit.message}")
            changes["CHANGELOG.md"] = "\n".join(changelog) + "\n"
            if commit.message.startswith("release: "):
                changes["VERSION"] = commit.message.split()[-1].lstrip("v") + "\n"
            else:
                line = f"{marker} {commit.message}" if marker else f"/* {commit.message} */"
                files[touch] = files[touch] + line + "\n"
                changes[touch] = files[touch]
        out.append(b"commit refs/heads/main\n")
        out.append(b"mark :%d\n" % n)
        out.append(f"author {_ident(commit.author, commit.when)}\n".encode())
        out.append(f"committer {_ident(commit.author, commit.when)}\n".encode())
        out.append(_data(commit.message))
        if n > 1:
            out.append(b"from :%d\n" % (n - 1))
        for path, content in sorted(changes.items()):
            mode = "100755" if path.endswith(".sh") or path == "gradlew" else "100644"
            out.append(f"M {mode} inline {path}\n".encode())
            out.append(_data(content))
        marks[id(commit)] = n
    for rel in plan.releases:
        mark = marks[id(rel.commit)]
        out.append(f"tag {rel.tag}\n".encode())
        out.append(b"from :%d\n" % mark)
        out.append(f"tagger {_ident(rel.commit.author, rel.released_at)}\n".encode())
        kind = "Sprint-end release" if rel.kind == "sprint-end" else "Hotfix release"
        out.append(_data(f"{kind} {rel.tag}"))
    return b"".join(out)


def generate_repo(path: Path, plan: RepoPlan) -> Path:
    """Create one repository at `path` (replacing it) and record its tag commit ids in `plan.shas`."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    _git(path, "fast-import", "--quiet", "--date-format=raw", stdin=_stream(plan))
    _git(path, "reset", "-q", "--hard", "main")
    refs = _git(path, "for-each-ref", "refs/tags", "--format=%(refname:short) %(*objectname)")
    plan.shas.update(dict(line.split() for line in refs.splitlines() if line.strip()))
    return path


def generate_repos(directory: Path, model: FleetModel, plans: dict[str, RepoPlan]) -> RepoResult:
    """Every repository of the model under `directory/<name>`; returns paths and expected traits."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {repo: generate_repo(directory / repo, plans[repo]) for repo in model.repos}
    traits: dict[str, Any] = {repo: {k: list(v) for k, v in TRAITS[repo].items()} for repo in model.repos}
    return RepoResult(paths=paths, traits=traits)
