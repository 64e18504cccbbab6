"""What the notebooks read: one snapshot, its analysis tables and the snapshot drift compared with, loaded once.

A declared table that a run did not produce comes back empty with its columns (the store's
contract), so every section can say "nothing here" instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from audit.errors import SnapshotError
from audit.picklist import pick_list
from audit.store.snapshots import Snapshot, complete_snapshots, open_snapshot, previous_snapshot

# Where a notebook opened by hand (`make lab` runs them in notebooks/) looks when its inventory_dir is
# empty: the real inventory when it has a snapshot, else the demo's (`make demo`), else the real one.
DEFAULT_INVENTORIES = (Path("../inventory"), Path("../demo-output/inventory"))


@dataclass
class ReportData:
    """A snapshot plus everything derived from it that the report shows."""

    snapshot: Snapshot
    capacity_days: float = 0.0  # person-days of the pick; 0 = what the analysis used (survey or catalog)
    previous: Snapshot | None = None
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def date(self) -> str:
        return self.snapshot.date

    @cached_property
    def manifest(self) -> dict[str, Any]:
        return self.snapshot.manifest

    @property
    def analysed(self) -> bool:
        return bool(self.snapshot.analysis_tables())

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = self.snapshot.table(name)
        return self._cache[name]

    def ranking(self) -> pd.DataFrame:
        """The ranking in build order, its pick re-made for `capacity_days` when that differs from the analysis'."""
        if "_ranking" not in self._cache:
            df = self.table("ranking")
            df = df.sort_values("rank", kind="stable").reset_index(drop=True) if len(df) else df
            if len(df) and self.capacity_days and float(self.capacity_days) != float(df["capacity_days"].iloc[0]):
                df = pick_list(df, float(self.capacity_days)).assign(capacity_source="parameter")
            self._cache["_ranking"] = df
        return self._cache["_ranking"]

    def pick(self) -> pd.DataFrame:
        """The meeting's list: the build-order prefix that fits the capacity."""
        df = self.ranking()
        return df[df["picked"].fillna(False).astype(bool)].reset_index(drop=True) if len(df) else df

    @property
    def capacity(self) -> tuple[float | None, str]:
        """(person-days, where they came from) of the pick shown."""
        df = self.ranking()
        if df.empty:
            return None, "unknown"
        return float(df["capacity_days"].iloc[0]), str(df["capacity_source"].iloc[0])

    def titles(self) -> dict[str, str]:
        df = self.table("ranking")
        return dict(zip(df["item_id"], df["title"], strict=True)) if len(df) else {}

    def account_status(self) -> dict[str, int]:
        """ok / partial / failed account counts (from the accounts table, else the manifest)."""
        acc = self.table("accounts")
        if len(acc):
            counts = acc["status"].fillna("unknown").value_counts().to_dict()
        else:
            crawl = self.manifest.get("sections", {}).get("crawl", {})
            counts = {k: crawl.get(f"accounts_{k}", 0) for k in ("ok", "partial", "failed")}
        return {k: int(counts.get(k, 0)) for k in ("ok", "partial", "failed")}

    def open_picks(self) -> set[str] | None:
        """Items the meetings picked and nobody closed yet (decisions.yaml via `picks`); None before any
        meeting recorded a pick, so the backlog marks the analysis' own pick instead."""
        picks = self.table("picks")
        if picks.empty:
            return None
        return set(picks.loc[picks["status"].isin(["picked", "in-progress"]), "item_id"])

    def owners(self) -> dict[str, str]:
        """item id -> its owning team from the newest meeting pick that is not dropped (with its status)."""
        picks = self.table("picks")
        picks = picks[picks["status"] != "dropped"].sort_values("picked_on", kind="stable") if len(picks) else picks
        return {r.item_id: f"{r.owner} ({r.status}" + (f", sprint {r.sprint}" if isinstance(r.sprint, str) else "")
                + ")" for r in picks.itertuples()}

    def not_crawled(self) -> list[str]:
        """Clients whose account could not be crawled this week."""
        acc = self.table("accounts")
        return sorted(acc.loc[acc["status"] == "failed", "client"].dropna()) if len(acc) else []

    @cached_property
    def outcome(self) -> str | None:
        """The crawl's outcome (`audit.store.outcome`: ok, partial, all-failed, empty); None without a crawl."""
        return self.snapshot.outcome

    @cached_property
    def crawled(self) -> bool:
        """Whether a crawl made this snapshot at all (a scan alone does not)."""
        return bool((self.manifest.get("sections") or {}).get("crawl"))

    def drift_summary(self) -> str | None:
        """Which snapshot drift compared with, and what it skipped (None for an analysis without it)."""
        df = self.table("drift_summary")
        return str(df["summary"].iloc[0]) if len(df) and isinstance(df["summary"].iloc[0], str) else None

    def repos(self) -> pd.DataFrame:
        """The scanned repositories with the clients the analysis linked (repo_links), else repos.yaml's."""
        repos, linked = self.table("repos"), self.table("repo_links")
        if len(repos) and len(linked):
            clients = dict(zip(linked["repo"], linked["clients"], strict=True))
            repos = repos.assign(clients=[clients.get(r, c) for r, c in zip(repos["repo"], repos["clients"],
                                                                            strict=True)])
        return repos

    def repo_status(self) -> dict[str, int]:
        repos = self.table("repos")
        counts = repos["status"].fillna("unknown").value_counts().to_dict() if len(repos) else {}
        return {"scanned": int(len(repos)), "ok": int(counts.get("ok", 0)) + int(counts.get("empty", 0)),
                "failed": int(counts.get("failed", 0))}


def inventory_root(inventory_dir: str | Path = "") -> Path:
    """`inventory_dir`, or when empty the first of DEFAULT_INVENTORIES holding a complete snapshot
    (resolved when the notebook runs, so defaults work before and after `make demo`)."""
    if str(inventory_dir):
        return Path(inventory_dir)
    return next((p for p in DEFAULT_INVENTORIES if complete_snapshots(p)), DEFAULT_INVENTORIES[0])


def load(inventory_dir: str | Path = "", snapshot_date: str = "", *, capacity_days: float = 0.0,
         require_analysis: bool = True) -> ReportData:
    """The snapshot of `snapshot_date` (default: latest complete) under an inventory root or snapshot dir
    (empty: `inventory_root`)."""
    snap = open_snapshot(inventory_root(inventory_dir), snapshot_date or None)
    if require_analysis and not snap.analysis_tables():
        raise SnapshotError(f"snapshot {snap.date} has no analysis tables yet: run "
                            f"`cicd-audit analyze --snapshot {snap.path}` first")
    return ReportData(snapshot=snap, capacity_days=float(capacity_days or 0), previous=_compared_with(snap))


def _compared_with(snap: Snapshot) -> Snapshot | None:
    """The snapshot the analysis' drift compared with (the last good one), else simply the one before."""
    root = snap.path.parent.parent
    summary = snap.table("drift_summary") if "drift_summary" in snap.analysis_tables() else None
    if summary is None or not len(summary):
        return previous_snapshot(root, snap.date)
    day = summary["compared_with"].iloc[0]
    if not isinstance(day, str) or not day:
        return None
    try:
        return open_snapshot(root, day)
    except SnapshotError:  # deleted since the analysis ran: the report still renders, without "since"
        return None
