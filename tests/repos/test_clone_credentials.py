"""The clone cache never stores credentials: a real smart-HTTP git server (git http-backend behind
HTTP Basic auth, on 127.0.0.1) refuses anonymous clones, so the scan succeeding proves the
credentials reached git; grepping the whole cache proves they landed nowhere on disk."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.repos.sources import GitTree, resolve_rev, sync_clone, url_credentials

from .gitserver import serve_git

USER, TOKEN = "deploy-bot", "glpat-Cl0neT0ken-n3ver-st0red"


@pytest.fixture
def authed_remote(tmp_path: Path) -> Iterator[str]:
    work = tmp_path / "work"
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True, env=env)
    (work / "Dockerfile").write_text("FROM python:3.12\n")
    subprocess.run(["git", "-C", str(work), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init"],
                   check=True, env=env)
    root = tmp_path / "served"
    root.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(root / "app.git")], check=True, env=env)
    with serve_git(root, USER, TOKEN) as port:
        yield f"http://{USER}:{TOKEN}@127.0.0.1:{port}/app.git"


def _grep(folder: Path, needle: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()] + \
        [str(p) for p in folder.rglob("*") if needle in p.name]


def test_an_authenticated_clone_keeps_no_credential_in_the_cache(authed_remote: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    anonymous = authed_remote.replace(f"{USER}:{TOKEN}@", "")
    with pytest.raises(Exception, match="git clone"):  # the server really requires the credentials
        sync_clone(anonymous, tmp_path / "anon-cache", timeout=60)
    git_dir, changed = sync_clone(authed_remote, cache, timeout=60)
    assert changed and (git_dir / "HEAD").exists()
    _, head = resolve_rev(git_dir, None)
    tree = GitTree(git_dir, head, fresh=True)
    entries = tree.entries()
    assert [e.path for e in entries] == ["Dockerfile"]
    config = (git_dir / "config").read_text()
    assert anonymous in config and TOKEN not in config and USER not in config
    # a later run fetches through the same route, and the blob fetch of a partial clone needs auth too
    git_dir2, _ = sync_clone(authed_remote, cache, timeout=60)
    assert git_dir2 == git_dir
    authed = GitTree(git_dir, head, fresh=True, auth=url_credentials(authed_remote)[1])
    authed.entries()
    assert authed.read(["Dockerfile"])["Dockerfile"] == b"FROM python:3.12\n"
    assert _grep(cache, TOKEN) == [] and _grep(cache, USER) == []
