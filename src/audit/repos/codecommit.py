"""CodeCommit repositories to scan (repos.yaml `discover.codecommit`), as the crawl listed them.

The AWS calls belong to the crawl (the `codecommit` collector, through the crawler's sessions and
read-only guard, with the role and ExternalId of accounts.yaml); the scanner only reads the
`codecommit_repositories` table of the day's snapshot, else of the latest complete one that has it,
so run the crawl first. Without such a table there is nothing to discover: one `errors` row says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audit.config import CodeCommitDiscovery, RepoEntry
from audit.store.error_rows import error_row
from audit.store.snapshots import Snapshot, complete_snapshots

TABLE = "codecommit_repositories"


def _listing(out: Path, day: str) -> Snapshot | None:
    snaps = [s for s in complete_snapshots(out) if TABLE in s.tables()]
    same = [s for s in snaps if s.date == day]
    return same[0] if same else (snaps[-1] if snaps else None)


def discover(spec: CodeCommitDiscovery, out: Path, *, day: str, known: set[str]
             ) -> tuple[list[RepoEntry], list[dict[str, Any]]]:
    """RepoEntry (HTTPS clone URL) per listed repository of spec's accounts and regions not in repos.yaml;
    plus an errors row when no crawl has listed CodeCommit repositories."""
    snap = _listing(Path(out), day)
    if snap is None:
        return [], [error_row("scan", collector="codecommit", operation="discover", error_class="not-found",
                              error_code="NoCodeCommitListing",
                              message=f"no snapshot has a {TABLE} table: run `cicd-audit crawl` (collector "
                                      "codecommit) before the scan")]
    rows = snap.table(TABLE)
    rows = rows[rows["account_id"].isin(spec.accounts) & rows["region"].isin(spec.regions)]
    found = []
    for name, url in sorted(zip(rows["name"], rows["clone_url_http"], strict=True)):
        if name in known or not url:
            continue
        known.add(name)
        found.append(RepoEntry(name=name, team=spec.team, url=url))
    return found, []
