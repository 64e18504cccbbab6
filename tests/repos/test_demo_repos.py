"""The demo fleet's team repositories are detected exactly as labelled (repo_files.TRAITS)."""

from __future__ import annotations

import pytest

from audit.demo import repo_files
from audit.repos.scan import detect_path
from audit.store.schema import TRAIT_FAMILIES as FAMILIES

from .conftest import make_repo


@pytest.mark.parametrize("repo", sorted(repo_files.FILES))
def test_demo_repository_traits(repo, tmp_path):
    found = detect_path(make_repo(tmp_path / repo, repo_files.FILES[repo]))
    expected = repo_files.TRAITS[repo]
    assert {f: found[f] for f in FAMILIES} == {f: sorted(expected.get(f, [])) for f in FAMILIES}
