"""The weekly run (crawl, scan, analyze, notebooks, report) and the demo that runs it on a synthetic fleet.

Every config file is validated before anything is written, so bad input exits 2 with nothing
half-made. The notebooks run in this process (one kernel for all four) after the inventory is
refreshed, and the dated report directory appears only when everything succeeded.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from audit.config import AccountsConfig, ReposConfig, Survey, load_accounts, load_repos, load_surveys
from audit.errors import ConfigError, SnapshotError
from audit.report.runner import RunTimings, build_report
from audit.store.snapshots import open_snapshot

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class WeeklyConfig:
    """The config directory, validated up front."""

    config_dir: Path
    accounts: AccountsConfig
    repos: ReposConfig | None
    surveys: dict[str, Survey]
    catalog: Path

    @classmethod
    def load(cls, config_dir: Path) -> WeeklyConfig:
        from audit.analysis.catalog import load_catalog

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
        return cls(config_dir, accounts, repos, surveys, catalog)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def refresh_inventory(config_dir: Path, inventory_dir: Path, *, day: str | None = None,
                      endpoint_url: str | None = None, profile: str | None = None, progress: bool = True,
                      config: WeeklyConfig | None = None, timings: WeeklyTimings | None = None) -> Path:
    """Crawl every account and scan every repository into inventory_dir/snapshots/<day>/."""
    from audit.aws.crawler import crawl
    from audit.repos.scan import scan_repos

    config = config or WeeklyConfig.load(config_dir)
    timings = timings or WeeklyTimings()
    day = day or today()
    endpoint_url = endpoint_url or config.accounts.endpoint_url
    with timings.step("crawl"):
        result = crawl(config.accounts, Path(inventory_dir), day=day, profile=profile, endpoint_url=endpoint_url,
                       progress=progress)
    if config.repos is not None:
        with timings.step("scan"):
            scan_repos(config.repos, Path(inventory_dir), day=day, base_dir=config.config_dir,
                       surveys=config.surveys, endpoint_url=endpoint_url, profile=profile, progress=progress)
    return result.snapshot_dir


def run_weekly(config_dir: str | Path, out: str | Path, *, inventory_dir: str | Path | None = None,
               profile: str | None = None, endpoint_url: str | None = None, top_n: int = 10,
               export_all: bool = False, skip_crawl: bool = False, day: str | None = None, progress: bool = True,
               notebooks_dir: Path | None = None, timings: WeeklyTimings | None = None) -> Path:
    """crawl + scan + analyze + notebooks + export; returns out/<day>/report.html."""
    from audit.analysis.run import analyze

    timings = timings or WeeklyTimings()
    with timings.step("validate"):
        config = WeeklyConfig.load(Path(config_dir))
    inventory = Path(inventory_dir or config.config_dir).resolve()
    day = day or today()
    if skip_crawl:
        try:
            open_snapshot(inventory, day)
        except SnapshotError as exc:
            raise SnapshotError(f"--skip-crawl: {exc}; run without --skip-crawl first") from None
    else:
        refresh_inventory(config.config_dir, inventory, day=day, endpoint_url=endpoint_url, profile=profile,
                          progress=progress, config=config, timings=timings)
    with timings.step("analyze"):
        analyze(open_snapshot(inventory, day), config.catalog, config.surveys, top_n=top_n)
    with timings.step("report"):
        report = build_report(inventory, Path(out), snapshot_date=day, config_dir=config.config_dir, top_n=top_n,
                              export_all=export_all, source_dir=notebooks_dir, timings=timings.report,
                              progress=progress)
    if progress:
        from audit.logs import console

        console.print(f"report: {report} (+ backlog.csv, backlog.md, ranking.csv)", highlight=False, soft_wrap=True)
    return report


def weekly_command(config_dir: Path, out: Path, profile: str | None = None, endpoint_url: str | None = None,
                   top_n: int = 10, export_all: bool = False, skip_crawl: bool = False) -> Path:
    """`cicd-audit weekly`: the report path is the last line on stdout."""
    report = run_weekly(config_dir, out, profile=profile, endpoint_url=endpoint_url, top_n=top_n,
                        export_all=export_all, skip_crawl=skip_crawl)
    click.echo(str(report.resolve()))
    return report


@contextlib.contextmanager
def dummy_credentials(env: dict[str, str]) -> Iterator[None]:
    """Base credentials for moto only, restored afterwards (a real profile must never reach the fleet)."""
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_REGION", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE")
    saved = {k: os.environ.get(k) for k in keys}
    for k in keys:
        os.environ.pop(k, None)
    os.environ.update({k: v for k, v in env.items() if k != "AWS_ENDPOINT_URL"})
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_demo(clients: int = 24, out: str | Path = "demo-output", *, seed: int = 42, top_n: int = 10,
             export_all: bool = False, progress: bool = True, timings: WeeklyTimings | None = None) -> Path:
    """Start the synthetic fleet into OUT/inventory, record last week's snapshot and this week's changes
    (audit.demo.lastweek), run the weekly job into OUT/reports, stop the fleet."""
    from audit.demo.fleet import start_fleet
    from audit.demo.lastweek import record_last_week

    timings = timings or WeeklyTimings()
    out = Path(out).resolve()
    inventory = out / "inventory"
    base_env = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo", "AWS_DEFAULT_REGION": "us-east-1"}
    with dummy_credentials(base_env):
        with timings.step("fleet"):
            fleet = start_fleet(clients, seed=seed, out=inventory)
        try:
            with dummy_credentials(fleet.env):
                with timings.step("last week"):
                    record_last_week(fleet, inventory, today(), progress=progress)
                report = run_weekly(inventory, out / "reports", inventory_dir=inventory,
                                    endpoint_url=fleet.endpoint_url, top_n=top_n, export_all=export_all,
                                    progress=progress, timings=timings)
        finally:
            fleet.stop()
    return report


def demo_command(clients: int = 24, out: Path = Path("demo-output"), seed: int = 42, top_n: int = 10,
                 export_all: bool = False) -> Path:
    """`cicd-audit demo`: the absolute path of report.html is the last line on stdout."""
    report = run_demo(clients, out, seed=seed, top_n=top_n, export_all=export_all)
    click.echo(str(report.resolve()))
    return report


def summary(timings: WeeklyTimings) -> dict[str, Any]:
    """Flat step -> seconds (for logs and the benchmark)."""
    flat: dict[str, Any] = dict(timings.steps)
    flat.update({f"notebook {k}": v for k, v in timings.report.notebooks.items()})
    flat.update(kernel_start=timings.report.kernel_start, export=timings.report.export,
                backlog=timings.report.backlog)
    return flat
