"""One weekly run, in order: refresh (crawl, scan), analyze, report. The CLI, `weekly`, the demo call this.

    inputs = Inputs.load(config_dir)                      accounts, repos, surveys, catalog: validated first
    crawl(inputs, inventory, CrawlOptions(...))           AWS -> inventory/snapshots/<day>/ (raw)
    scan(inputs, inventory, ScanOptions(...))             git -> the same snapshot (raw; any order with crawl)
    analyze(inputs, inventory, day, AnalyzeOptions(...))  -> <snapshot>/analysis/ (derived, recomputable)
    report(inputs, inventory, out, ReportOptions(...))    notebooks -> out/<day>/report.html + backlog
                                                          + out/<day>/onboarding/ (the onboarding kit)
    weekly(inputs, inventory, out, WeeklyOptions(...))    all of it

Every config file is validated before anything is written, so bad input exits 2 with nothing
half-made. Each verb takes one frozen options object (audit.options); the report only reads.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pandas as pd

from audit.analysis import run as analysis
from audit.analysis.catalog import load_catalog
from audit.aws.crawler import CrawlResult, failed_accounts_error
from audit.aws.crawler import crawl as crawl_accounts
from audit.config import (
    AccountsConfig,
    Decisions,
    ReposConfig,
    Survey,
    load_accounts,
    load_repos,
    load_surveys,
)
from audit.config.decisions import FILE as DECISIONS_FILE
from audit.config.decisions import load_decisions
from audit.errors import ConfigError, SnapshotError
from audit.logs import console
from audit.onboarding.kit import build_kit, summary, write_kit
from audit.options import AnalyzeOptions, CrawlOptions, ReportOptions, ScanOptions, WeeklyOptions
from audit.report.runner import RunTimings, build_report
from audit.repos.scan import ScanResult, scan_repos
from audit.store.snapshots import open_snapshot

__all__ = ["AnalyzeOptions", "CrawlOptions", "Inputs", "ReportOptions", "ScanOptions", "WeeklyOptions",
           "WeeklyTimings", "analyze", "crawl", "refresh", "report", "scan", "today", "weekly"]


@dataclass(frozen=True)
class Inputs:
    """The config directory, validated up front: accounts.yaml, repos.yaml, survey/, catalog.yaml and
    decisions.yaml (optional: the meetings' picks)."""

    config_dir: Path
    accounts: AccountsConfig
    repos: ReposConfig | None
    surveys: dict[str, Survey]
    catalog: Path
    decisions: Decisions | None = None

    @classmethod
    def load(cls, config_dir: str | Path) -> Inputs:
        config_dir = Path(config_dir).resolve()
        accounts_file = config_dir / "accounts.yaml"
        if not accounts_file.is_file():
            raise ConfigError("accounts.yaml is missing (the weekly run needs the client accounts)",
                              file=str(accounts_file))
        accounts = load_accounts(accounts_file)
        repos_file = config_dir / "repos.yaml"
        repos = load_repos(repos_file) if repos_file.is_file() else None
        survey_dir = config_dir / "survey"
        surveys = load_surveys(survey_dir) if survey_dir.is_dir() else {}
        catalog = config_dir / "catalog.yaml"
        if not catalog.is_file():
            raise ConfigError("catalog.yaml is missing (the work items to score)", file=str(catalog))
        load_catalog(catalog)
        decisions_file = config_dir / DECISIONS_FILE
        decisions = load_decisions(decisions_file) if decisions_file.is_file() else None
        return cls(config_dir, accounts, repos, surveys, catalog, decisions)


@dataclass
class WeeklyTimings:
    """Wall time per step of one weekly run (printed by bench/weekly.py)."""

    steps: dict[str, float] = field(default_factory=dict)
    report: RunTimings = field(default_factory=RunTimings)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = time.perf_counter() - t0

    def summary(self) -> dict[str, Any]:
        """Flat step -> seconds (for logs and the benchmark)."""
        flat: dict[str, Any] = dict(self.steps)
        flat.update({f"notebook {k}": v for k, v in self.report.notebooks.items()})
        flat.update(kernel_start=self.report.kernel_start, export=self.report.export, backlog=self.report.backlog)
        return flat


def today() -> str:
    return datetime.now(UTC).date().isoformat()


# ---- the verbs -------------------------------------------------------------------------------------


def crawl(inputs: Inputs, inventory: Path, options: CrawlOptions) -> CrawlResult:
    """Every client account of accounts.yaml into inventory/snapshots/<day>/."""
    return crawl_accounts(inputs.accounts, Path(inventory), options)


def scan(inputs: Inputs, inventory: Path, options: ScanOptions) -> ScanResult | None:
    """Every repository of repos.yaml into the day's snapshot (None without a repos.yaml)."""
    if inputs.repos is None:
        return None
    if options.base_dir is None:
        options = replace(options, base_dir=inputs.config_dir)
    return scan_repos(inputs.repos, Path(inventory), options, surveys=inputs.surveys)


def refresh(inputs: Inputs, inventory: Path, options: WeeklyOptions,
            timings: WeeklyTimings | None = None) -> Path:
    """Crawl, then scan, into inventory/snapshots/<day>/; returns the snapshot directory."""
    timings = timings or WeeklyTimings()
    with timings.step("crawl"):
        result = crawl(inputs, inventory, options.crawl)
    notice = result.not_published()  # the day's better snapshot was kept: what follows reports on it
    if notice:
        console.print(notice, highlight=False, markup=False, soft_wrap=True)
    with timings.step("scan"):
        scan(inputs, inventory, options.scan)
    return Path(result.snapshot_dir)


def analyze(inputs: Inputs, inventory: Path, day: str, options: AnalyzeOptions) -> dict[str, pd.DataFrame]:
    """Every analysis table of the day's snapshot, written beside it."""
    return analysis.analyze(open_snapshot(Path(inventory), day), inputs.catalog, inputs.surveys, options,
                            decisions=inputs.decisions)


def report(inputs: Inputs, inventory: Path, out: Path, options: ReportOptions,
           timings: WeeklyTimings | None = None) -> Path:
    """Notebooks, report.html and backlog of the day's analysed snapshot; returns out/<day>/report.html."""
    timings = timings or WeeklyTimings()
    if options.config_dir is None:
        options = replace(options, config_dir=inputs.config_dir)
    snapshot = open_snapshot(Path(inventory), options.snapshot_date)
    kit = build_kit(snapshot, organization=inputs.accounts.discover is not None)

    def onboarding(staging: Path) -> None:  # inside the report's atomic swap
        write_kit(kit, staging / "onboarding")

    path = build_report(Path(inventory), Path(out), options, timings=timings.report, extras=onboarding)
    if options.progress:
        console.print(summary(kit, path.parent / "onboarding"), highlight=False, markup=False, soft_wrap=True)
    return path


def weekly(inputs: Inputs, inventory: Path, out: Path, options: WeeklyOptions,
           timings: WeeklyTimings | None = None) -> Path:
    """refresh (unless skip_crawl) + analyze + report; returns out/<day>/report.html."""
    timings = timings or WeeklyTimings()
    inventory = Path(inventory).resolve()
    if options.skip_crawl:
        try:
            open_snapshot(inventory, options.day)
        except SnapshotError as exc:
            raise SnapshotError(f"--skip-crawl: {exc}; run without --skip-crawl first") from None
    else:
        refresh(inputs, inventory, options, timings)
    with timings.step("analyze"):
        analyze(inputs, inventory, options.day, options.analyze)
    with timings.step("report"):
        path = report(inputs, inventory, out, options.report, timings)
    if options.report.progress:
        console.print(f"report: {path} (+ backlog.csv, backlog.md, ranking.csv)", highlight=False, soft_wrap=True)
    return path


def weekly_command(config_dir: Path, out: Path, options: WeeklyOptions) -> Path:
    """`cicd-audit weekly`: the snapshot goes beside the config; the report path is the last line on stdout."""
    inputs = Inputs.load(config_dir)
    path = weekly(inputs, inputs.config_dir, out, options)
    click.echo(str(path.resolve()))
    # some accounts failed: the report covers the others, and the last line (exit 3/4) says so
    crawled = open_snapshot(Path(inputs.config_dir).resolve(), options.day).manifest.get("sections", {})
    problem = failed_accounts_error(crawled.get("crawl", {}), f"the report covers the others: {path.resolve()}")
    if problem:
        raise problem
    return path
