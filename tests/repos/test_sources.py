"""The bare, blob-filtered clone cache: no checkout, blobs fetched on demand, incremental fetch."""

from __future__ import annotations

import time

import pytest

from audit.errors import GitError
from audit.repos.detectors import detect
from audit.repos.sources import GitTree, LocalTree, resolve_rev, sync_clone

from .conftest import add_commit, make_repo, run_git

FILES = {f"src/mod{i}.py": f"x = {i}\n" for i in range(30)} | {
    "requirements.txt": "flask\n", "template.yaml": "Transform: AWS::Serverless-2016-10-31\n",
    "README.md": "hello\n"}


def _missing(git_dir) -> set[str]:
    out = run_git(git_dir, "rev-list", "--objects", "--no-walk", "--missing=print", "HEAD")
    return {line[1:] for line in out.splitlines() if line.startswith("?")}


def test_clone_is_bare_blob_filtered_and_reads_only_probed_blobs(tmp_path):
    origin = make_repo(tmp_path / "origin", FILES)
    git_dir, changed = sync_clone(f"file://{origin}", tmp_path / "cache")
    assert changed
    assert run_git(git_dir, "rev-parse", "--is-bare-repository") == "true"
    assert run_git(git_dir, "config", "remote.origin.promisor") == "true"
    assert not (git_dir / "src").exists()  # nothing checked out
    assert len(_missing(git_dir)) == len(FILES)  # commits and trees only

    branch, head = resolve_rev(git_dir, None)
    assert branch == "main" and len(head) == 40
    tree = GitTree(git_dir, head)
    entries = tree.entries()
    assert {e.path for e in entries} == set(FILES)
    assert all(e.size is None for e in entries)  # ls-tree -l would fetch every blob
    found = detect(entries, tree.read)
    assert ("iac_tools", "sam") in found.traits
    # only the template was probed: every other blob is still not fetched
    assert len(_missing(git_dir)) == len(FILES) - 1


def test_second_sync_fetches_incrementally(tmp_path):
    origin = make_repo(tmp_path / "origin", FILES)
    url = f"file://{origin}"
    git_dir, _ = sync_clone(url, tmp_path / "cache")
    again, changed = sync_clone(url, tmp_path / "cache")
    assert again == git_dir and changed is False
    new_head = add_commit(origin, {"Dockerfile": "FROM scratch\n"})
    run_git(origin, "tag", "v2")
    _, changed = sync_clone(url, tmp_path / "cache")
    assert changed is True
    assert resolve_rev(git_dir, None)[1] == new_head
    assert "v2" in run_git(git_dir, "tag")
    # the fetch kept the blob filter: the new Dockerfile's content was not downloaded
    assert len(_missing(git_dir)) == len(FILES) + 1
    tree = GitTree(git_dir, new_head)
    assert tree.read(["Dockerfile"]) == {"Dockerfile": b"FROM scratch\n"}


def test_unreachable_urls_fail_fast_without_prompting(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(GitError) as exc:
        sync_clone(f"file://{tmp_path}/does-not-exist.git", tmp_path / "cache")
    assert exc.value.kind == "unreachable"
    with pytest.raises(GitError):
        sync_clone("http://127.0.0.1:9/nothing.git", tmp_path / "cache", timeout=20)
    assert time.monotonic() - t0 < 20
    assert not list((tmp_path / "cache").glob("*.git"))  # no half clone left behind


def test_local_tree_lists_tracked_and_untracked_but_not_ignored(tmp_path):
    root = make_repo(tmp_path / "wt", {".gitignore": "build/\n", "a.py": ""})
    (root / "new.py").write_text("")
    (root / "build").mkdir()
    (root / "build" / "out.py").write_text("")
    paths = {e.path for e in LocalTree(root).entries()}
    assert paths == {".gitignore", "a.py", "new.py"}


def test_branch_that_does_not_exist_is_an_error(tmp_path):
    origin = make_repo(tmp_path / "origin", {"a.py": ""})
    git_dir, _ = sync_clone(f"file://{origin}", tmp_path / "cache")
    with pytest.raises(GitError):
        resolve_rev(git_dir, "release")
