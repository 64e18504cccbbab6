"""Link pipeline source actions (crawl snapshot) to repos.yaml entries; list the unmatched ones.

A CodePipeline source names its repository as `org/repo` (CodeStar connections, GitHub) or as a
CodeCommit repository name. It matches an entry whose name or URL tail (or `org/repo` URL
suffix) is the same, case-insensitively. S3 and ECR sources are artifacts, not repositories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from audit.config import RepoEntry

NOT_REPOSITORIES = {"S3", "ECR"}


def _tail(text: str) -> str:
    return text.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git").lower()


def _keys(entry: RepoEntry) -> set[str]:
    keys = {entry.name.lower()}
    where = entry.url or entry.path or ""
    if where:
        keys.add(_tail(where))
        parts = [p for p in re.split(r"[/:]", where.rstrip("/").removesuffix(".git")) if p]
        if len(parts) >= 2:
            keys.add("/".join(parts[-2:]).lower())
    return keys


def link_pipelines(pipelines: Iterable[Mapping[str, Any]], entries: list[RepoEntry]
                   ) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    """(repo name -> pipeline ARNs, unmatched_sources rows)."""
    index: dict[str, str] = {}
    for entry in entries:
        for key in _keys(entry):
            index.setdefault(key, entry.name)
    links: dict[str, list[str]] = {}
    unmatched = []
    for p in pipelines:
        repo = (p.get("source_repository") or "").strip()
        provider = p.get("source_provider") or ""
        if not repo or provider in NOT_REPOSITORIES:
            continue
        name = index.get(repo.lower()) or index.get(_tail(repo))
        if name:
            arn = p.get("arn") or p.get("name") or ""
            if arn not in links.setdefault(name, []):
                links[name].append(arn)
        else:
            unmatched.append({
                "account_id": p.get("account_id"), "client": p.get("client"), "region": p.get("region"),
                "pipeline_name": p.get("name"), "source_provider": provider, "source_repository": repo,
                "source_branch": p.get("source_branch"),
            })
    return links, unmatched
