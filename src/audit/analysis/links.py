"""Link pipeline source actions (crawl) to scanned repositories (scan); list the unmatched sources.

A CodePipeline source names its repository as `org/repo` (CodeStar connections, GitHub) or as a
CodeCommit repository name. It matches a repository whose name or URL tail (or `org/repo` URL
suffix) is the same, case-insensitively. S3 and ECR sources are artifacts, not repositories.

Linking is analysis, not collection: both raw tables stay as crawled and scanned, so crawl and
scan may run in any order, and the links are recomputed from whatever the snapshot holds.

    repo_links          per repository: the pipelines building it, and its clients (repos.yaml plus
                        the clients of those pipelines)
    unmatched_sources   pipeline sources with no repository
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from audit.analysis.frames import Inventory, as_list, table
from audit.store.schema import empty_frame

NOT_REPOSITORIES = {"S3", "ECR"}


def _tail(text: str) -> str:
    return text.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git").lower()


def repo_keys(name: str, where: str | None) -> set[str]:
    """The names a pipeline source may use for this repository: its name, URL tail and `org/repo`."""
    keys = {name.lower()}
    if where:
        keys.add(_tail(where))
        parts = [p for p in re.split(r"[/:]", where.rstrip("/").removesuffix(".git")) if p]
        if len(parts) >= 2:
            keys.add("/".join(parts[-2:]).lower())
    return keys


def link_pipelines(pipelines: Iterable[Mapping[str, Any]], repos: Iterable[tuple[str, str | None]]
                   ) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    """(repo name -> pipeline ARNs, unmatched_sources rows) for (repo name, URL or path) pairs."""
    index: dict[str, str] = {}
    for name, where in repos:
        for key in repo_keys(name, where):
            index.setdefault(key, name)
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


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = list(frame.columns)
    return [dict(zip(cols, row, strict=True)) for row in zip(*(frame[c].tolist() for c in cols), strict=True)]


def link_repos(inv: Inventory, *, enabled: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `repo_links` and `unmatched_sources` tables of an inventory (see module doc).

    `enabled=False` (repos.yaml `discover.from_pipelines: false`) keeps the repos.yaml clients only.
    """
    repos = table(inv, "repos")
    pipelines = _records(table(inv, "pipelines")) if enabled else []
    links, unmatched = link_pipelines(pipelines, zip(repos["repo"], repos["url"], strict=True))
    client_of = {p.get("arn") or p.get("name") or "": p.get("client") for p in pipelines}
    rows = []
    for repo, clients in zip(repos["repo"], repos["clients"], strict=True):
        arns = links.get(repo, [])
        deployed = {client_of.get(arn) for arn in arns} - {None, ""}
        rows.append({"repo": repo, "clients": sorted(set(as_list(clients)) | deployed), "pipeline_links": arns})
    return (pd.DataFrame(rows, columns=empty_frame("repo_links").columns),
            pd.DataFrame(unmatched, columns=empty_frame("unmatched_sources").columns))
