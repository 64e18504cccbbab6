"""Hostile or odd repositories: skipped with a note, never a crash or a hang (real git repos)."""

from __future__ import annotations

import os
import re
import time

import pytest

from audit.config import RepoEntry, ReposConfig
from audit.options import ScanOptions
from audit.repos.detectors import MAX_FILE_BYTES, line_safe
from audit.repos.rules import RULES
from audit.repos.scan import detect_path, scan_repos
from audit.store.snapshots import open_duckdb

from .conftest import make_repo, run_git

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
BOMB = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Q: {Type: 'AWS::SQS::Queue'}\n" + BOMB


def _timed(fn, *args):
    t0 = time.monotonic()
    result = fn(*args)
    return result, time.monotonic() - t0


def test_yaml_bomb_is_probed_as_text_not_expanded(tmp_path):
    root = make_repo(tmp_path / "r", {"template.yaml": BOMB, "k8s/bomb.yaml": "apiVersion: v1\nkind: List\n" + BOMB})
    found, seconds = _timed(detect_path, root)
    assert seconds < 10
    assert found["iac_tools"] == ["cloudformation", "kubernetes-manifests"]


def test_large_and_binary_files_are_not_read(tmp_path):
    big = "AWSTemplateFormatVersion: x\n" + "#" * (MAX_FILE_BYTES + 10)
    root = make_repo(tmp_path / "r", {"huge/template.yaml": big,
                                      "bin/template.yaml": b"AWSTemplateFormatVersion\0\x00\xff" * 10,
                                      "ok/template.yaml": "AWSTemplateFormatVersion: x\n"})
    result = scan_repos(ReposConfig(repositories=[RepoEntry(name="r", team="t", path=str(root))]),
                        tmp_path / "inv", ScanOptions(day="2026-03-02", progress=False))
    con = open_duckdb(result.snapshot_dir)
    assert con.execute("SELECT skipped_count, status FROM repos").fetchone() == (2, "ok")
    notes = sorted(con.execute("SELECT error_class, error_code FROM errors").fetchall())
    assert notes == [("invalid-content", "binary"), ("invalid-content", "too-large")]
    ev = con.execute("SELECT evidence FROM repo_traits WHERE value='cloudformation'").fetchone()[0]
    assert list(ev) == ["ok/template.yaml"]


def test_symlink_out_of_the_repository_is_not_followed(tmp_path):
    secret = tmp_path / "outside.yaml"
    secret.write_text("AWSTemplateFormatVersion: '2010-09-09'\n")
    root = make_repo(tmp_path / "r", {"a.py": "", "b.py": ""}, commit=False)
    os.symlink(secret, root / "template.yaml")
    os.symlink(root / "a.py", root / "inside.yaml")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "links")
    found = detect_path(root)
    assert "cloudformation" not in found["iac_tools"]
    # the same repository read from a bare clone: symlink blobs are never followed either
    result = scan_repos(ReposConfig(repositories=[RepoEntry(name="r", team="t", url=f"file://{root}")]),
                        tmp_path / "inv", ScanOptions(day="2026-03-02", progress=False, base_dir=tmp_path))
    con = open_duckdb(result.snapshot_dir)
    assert con.execute("SELECT count(*) FROM repo_traits WHERE value='cloudformation'").fetchone() == (0,)
    assert con.execute("SELECT status FROM repos").fetchone() == ("ok",)


def test_invalid_utf8_is_read_with_replacement_and_noted(tmp_path):
    root = make_repo(tmp_path / "r", {"template.yaml": b"AWSTemplateFormatVersion: '\xff\xfe'\n"})
    result = scan_repos(ReposConfig(repositories=[RepoEntry(name="r", team="t", path=str(root))]),
                        tmp_path / "inv", ScanOptions(day="2026-03-02", progress=False))
    con = open_duckdb(result.snapshot_dir)
    assert con.execute("SELECT error_class, error_code FROM errors").fetchall() == [
        ("invalid-content", "invalid-utf8")]
    assert con.execute("SELECT value FROM repo_traits").fetchall() == [("cloudformation",)]


def test_deep_tree_and_non_git_directory(tmp_path):
    deep = "/".join(f"d{i}" for i in range(120))
    root = make_repo(tmp_path / "r", {f"{deep}/Dockerfile": "FROM x\n", "go.mod": "", "main.go": ""})
    found, seconds = _timed(detect_path, root)
    assert found["packaging"] == ["docker"] and seconds < 10
    plain = tmp_path / "plain"
    (plain / deep).mkdir(parents=True)
    (plain / deep / "Dockerfile").write_text("FROM x\n")
    (plain / "Gemfile").write_text("")
    found = detect_path(plain)  # bounded walk: depth-capped, no crash
    assert found["build_tools"] == ["bundler"] and found["packaging"] == []


@pytest.mark.parametrize("kind", ["no-commits", "empty-commit"])
def test_empty_repositories(tmp_path, kind):
    root = make_repo(tmp_path / "r", {}, commit=(kind == "empty-commit"))
    entries = [RepoEntry(name="local", team="t", path=str(root)),
               RepoEntry(name="remote", team="t", url=f"file://{root}")]
    result = scan_repos(ReposConfig(repositories=entries), tmp_path / "inv",
                        ScanOptions(day="2026-03-02", progress=False, base_dir=tmp_path))
    con = open_duckdb(result.snapshot_dir)
    rows = dict(con.execute("SELECT repo, status FROM repos").fetchall())
    assert rows == {"local": "empty", "remote": "empty"}
    assert con.execute("SELECT count(*) FROM repo_traits").fetchone() == (0,)


def test_every_probe_is_linear_on_hostile_text():
    hostile = [" " * 65536, "\n" * 65536, " \n-" * 20000, "zip -a " * 9000, "Type: " * 10000,
               "git archive " * 5000, '"' + "a" * 65536]
    for rule in RULES:
        for pattern in (*rule.probes, *([rule.probe_not] if rule.probe_not else [])):
            rx = re.compile(line_safe(pattern), re.MULTILINE)
            took = []
            for _ in range(3):  # best of three: a loaded machine can stall any single pass
                t0 = time.monotonic()
                for text in hostile:
                    rx.search(text)
                took.append(time.monotonic() - t0)
            assert min(took) < 2, pattern  # linear probes take ~0.1 s here; a backtracking one minutes


def test_symlinked_directory_in_a_work_tree_is_not_read_through(tmp_path):
    # the index lists cfn/template.yaml, but the work tree's cfn/ became a link to a directory outside
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "template.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\n")
    root = make_repo(tmp_path / "r", {"cfn/template.yaml": "x: 1\n"})
    (root / "cfn" / "template.yaml").unlink()
    (root / "cfn").rmdir()
    os.symlink(outside, root / "cfn")
    found = detect_path(root)
    assert "cloudformation" not in found["iac_tools"]
