"""`cicd-audit analyze`: every analysis table of a snapshot, written beside it in one atomic swap.

    analyze(snapshot, catalog_path, surveys)   -> {table: DataFrame}, written to <snapshot>/analysis/
    compute_tables(inv, catalog, surveys)      -> the same tables from in-memory frames (no drift)

The catalog is validated (and every rule dry-run) before anything is computed, and the rules run in
the sandbox (`audit.store.sandbox`) before anything is written, so a bad catalog or a rule that
breaks a limit exits with code 2 and leaves an earlier analysis untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pandas as pd
from rich.table import Table as RichTable

from audit.analysis.baseline import baseline
from audit.analysis.catalog import Catalog, load_catalog
from audit.analysis.delivery import delivery, deploy_events
from audit.analysis.drift import DriftBasis, crawl_outcome, drift, drift_basis
from audit.analysis.findings import risk_findings
from audit.analysis.frames import Inventory, load_inventory, table, to_table
from audit.analysis.headline import headline_row
from audit.analysis.links import link_repos
from audit.analysis.onboarding import onboarding_table, shapes
from audit.analysis.patterns import overlap, patterns, similarity, team_drift
from audit.analysis.picks import picks_table
from audit.analysis.resources import resource_teams
from audit.analysis.scoring import match_items, score_items
from audit.analysis.units import build_units
from audit.config import Survey, load_surveys
from audit.config.decisions import Decisions, load_decisions
from audit.logs import console
from audit.options import AnalyzeOptions
from audit.store.snapshots import Snapshot, open_snapshot, write_analysis

log = logging.getLogger(__name__)
ANALYSIS_TABLES = ("repo_links", "unmatched_sources", "units", "patterns", "overlap", "similarity", "team_drift",
                   "baseline", "onboarding", "delivery", "ranking", "risk_findings", "item_hits", "picks", "headline", "drift",
                   "drift_summary")


def history_window_days(snapshot: Snapshot | None) -> float | None:
    """The crawl's history window (manifest `sections.crawl.history_days`), if recorded."""
    if snapshot is None:
        return None
    try:
        crawl = snapshot.manifest.get("sections", {}).get("crawl", {})
    except Exception:  # noqa: BLE001 - an unreadable manifest just means "unknown window"
        return None
    days = crawl.get("history_days") if isinstance(crawl, dict) else None
    return float(days) if isinstance(days, int | float) and days > 0 else None


def links_pipelines(snapshot: Snapshot) -> bool:
    """repos.yaml `discover.from_pipelines` as the scan recorded it (manifest `sections.scan`); default on."""
    try:
        scan = snapshot.manifest.get("sections", {}).get("scan", {})
    except Exception:  # noqa: BLE001 - an unreadable manifest keeps the default
        return True
    return bool(scan.get("link_pipelines", True)) if isinstance(scan, dict) else True


def compute_tables(inv: Inventory, catalog: Catalog, surveys: Mapping[str, Survey], *, top_n: int = 10, seed: int = 7,
                   window_days: float | None = None, link_pipelines: bool = True,
                   timings: dict | None = None) -> dict[str, pd.DataFrame]:
    """Repository links, units, patterns, overlap, similarity, team drift, baseline, delivery and ranking
    (no drift table)."""
    timings = {} if timings is None else timings
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[name] = now - t0
        t0 = now

    repo_links, unmatched = link_repos(inv, enabled=link_pipelines)
    inv = {**inv, "repo_links": repo_links}
    lap("links")
    units = build_units(inv)
    lap("units")
    out = {"repo_links": repo_links, "unmatched_sources": unmatched, "units": units, "patterns": patterns(units), "overlap": overlap(units),
           "similarity": similarity(units), "team_drift": team_drift(units, table(inv, "accounts"))}
    lap("patterns")
    out["baseline"] = baseline(inv, units)
    out["onboarding"] = onboarding_table(inv, shapes(inv, units, out["baseline"]))
    lap("baseline")
    out["delivery"] = delivery(inv, units, surveys, window_days=window_days, events=deploy_events(inv, units))
    lap("delivery")
    hits = match_items(catalog, {**inv, "units": units, "delivery": out["delivery"]})
    lap("rules")
    out["ranking"] = score_items(catalog, hits, units, out["delivery"], table(inv, "accounts"), surveys,
                                 seed=seed, resource_teams=resource_teams(inv, units))
    out["risk_findings"] = risk_findings(inv, units, hits, out["ranking"])
    out["item_hits"] = hits[["item_id", "account_id", "unit_id"]].drop_duplicates(ignore_index=True)
    lap("scoring")
    return out


def analyze(snapshot: Snapshot, catalog_path: Path, surveys: Mapping[str, Survey],
            options: AnalyzeOptions = AnalyzeOptions(), *, previous: Snapshot | None | Literal["auto"] = "auto",
            decisions: Decisions | None = None, timings: dict | None = None) -> dict[str, pd.DataFrame]:
    """Compute every analysis table of `snapshot`, write them to <snapshot>/analysis/, return them.

    Drift compares with `previous`: by default the last good snapshot before this one (see
    `audit.analysis.drift`), None for none. `decisions` (decisions.yaml) gives the `picks` table.
    """
    top_n, seed = options.top_n, options.seed
    catalog = load_catalog(catalog_path)
    inv = load_inventory(snapshot)
    out = compute_tables(inv, catalog, surveys, top_n=top_n, seed=seed, window_days=history_window_days(snapshot),
                         link_pipelines=links_pipelines(snapshot), timings=timings)
    basis = drift_basis(snapshot) if previous == "auto" else DriftBasis(crawl_outcome(snapshot), previous)
    out["drift"] = drift_since(basis.compared, table(inv, "accounts"), out, catalog, surveys, top_n=top_n, seed=seed)
    out["drift_summary"] = basis.frame()
    out["headline"] = headline_row(table(inv, "accounts"), out["delivery"], out["baseline"],
                                   out["risk_findings"], out["ranking"])
    out["picks"] = picks_table(decisions, snapshot, out["item_hits"], deploy_events(inv, out["units"]),
                               {i.id: i.title for i in catalog.items}, window_days=history_window_days(snapshot))
    write_analysis(snapshot.path, {name: to_table(name, frame) for name, frame in out.items()})
    return out


def drift_since(previous: Snapshot | None, accounts: pd.DataFrame, current: Mapping[str, pd.DataFrame],
                catalog: Catalog, surveys: Mapping[str, Survey], *, top_n: int = 10, seed: int = 7) -> pd.DataFrame:
    """The drift table against `previous` (its analysis tables, recomputed if it was never analysed)."""
    if previous is None:
        return drift(accounts, current["units"], current["ranking"], accounts.iloc[0:0],
                     current["units"].iloc[0:0], current["ranking"].iloc[0:0]).iloc[0:0]
    done = set(previous.analysis_tables())
    if {"units", "ranking"} <= done:
        prev_units, prev_ranking = previous.table("units"), previous.table("ranking")
    else:
        log.info("previous snapshot %s has no analysis; recomputing it", previous.date)
        prev = compute_tables(load_inventory(previous), catalog, surveys, top_n=top_n, seed=seed,
                              window_days=history_window_days(previous), link_pipelines=links_pipelines(previous))
        prev_units, prev_ranking = prev["units"], prev["ranking"]
    return drift(accounts, current["units"], current["ranking"], previous.table("accounts"), prev_units, prev_ranking)


def analyze_command(snapshot: Path, catalog: Path, options: AnalyzeOptions = AnalyzeOptions(),
                    survey_dir: Path | None = None, decisions_file: Path | None = None) -> dict[str, pd.DataFrame]:
    """CLI wrapper: open the snapshot, load the surveys and the meetings' decisions (only from
    `survey_dir` and `decisions_file`: files beside a shared catalog may belong to another fleet), analyse."""
    snap = open_snapshot(snapshot)
    surveys = load_surveys(survey_dir) if survey_dir else {}
    decisions = load_decisions(decisions_file) if decisions_file else None
    started = time.perf_counter()
    out = analyze(snap, Path(catalog), surveys, options, decisions=decisions)
    elapsed = time.perf_counter() - started
    ranking = out["ranking"]
    cap = float(ranking["capacity_days"].iloc[0]) if len(ranking) else 0.0
    summary = RichTable(title=f"The pick within {cap:g} person-days, snapshot {snap.date} (build order)")
    for col in ("#", "item", "clients", "units", "person-h/yr", "days", "WSJF key", "picked in"):
        summary.add_column(col, justify="left" if col == "item" else "right")
    shown = ranking[ranking["picked"].fillna(False).astype(bool)] if len(ranking) else ranking
    for r in (shown if len(shown) else ranking.head(options.top_n)).itertuples(index=False):
        summary.add_row(str(r.rank), r.title, str(r.clients), str(r.units), f"{r.hours_saved_per_year:.0f}",
                        f"{r.effort_days:.1f}", f"{r.pick_key:.1f}", f"{r.pick_share:.0%}")
    console.print(summary, markup=False)
    units = out["units"]
    console.print(f"{len(units)} units, {out['patterns'].shape[0]} patterns, "
                  f"{int(out['team_drift']['status'].eq('drifts').sum())} drifting "
                  f"team/client pairs, {len(out['baseline'])} baseline items; written to "
                  f"{snap.path / 'analysis'} in {elapsed:.1f}s", markup=False, highlight=False)
    return out
