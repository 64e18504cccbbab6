"""The run options of the weekly verbs, one frozen object per verb, built once by the CLI or a caller.

    CrawlOptions    crawl every client account          (audit.aws.crawler.crawl)
    ScanOptions     scan every team repository          (audit.repos.scan.scan_repos)
    AnalyzeOptions  analyse a snapshot                  (audit.analysis.run.analyze)
    ReportOptions   notebooks, report.html, backlog     (audit.report.runner.build_report)
    WeeklyOptions   the four above, for one weekly run  (audit.pipeline.weekly)

Options are how a step runs; what it runs on (accounts.yaml, repos.yaml, the catalog, the surveys)
is the loaded config, passed beside them. This module imports nothing of the project, so every
room (aws, repos, analysis, report) may use it without importing the pipeline above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

GIT_TIMEOUT = 300.0  # seconds per git clone/fetch of one repository
KERNEL = "python3"


@dataclass(frozen=True)
class CrawlOptions:
    """How to crawl: which accounts, regions and collectors, with which credentials and history window."""

    day: str | None = None  # snapshot date YYYY-MM-DD; None = today (UTC)
    profile: str | None = None  # AWS profile for the base credentials
    endpoint_url: str | None = None  # every AWS call goes here (moto, LocalStack); None = accounts.yaml / AWS
    workers: int | None = None  # parallel tasks; None = accounts.yaml defaults.max_workers
    accounts_only: tuple[str, ...] | None = None  # account ids or client names
    regions: tuple[str, ...] | None = None  # overrides accounts.yaml; ("all",) = every enabled region
    services: tuple[str, ...] | None = None  # collector names; None = all
    resume: bool = False  # finish today's interrupted crawl without redoing done accounts
    history_days: int | None = None  # days of executions/builds/deployments; None = accounts.yaml
    history_until: datetime | None = None  # history ends here instead of now (the demo's last week)
    progress: bool = True
    replace: bool = False  # a crawl in which some accounts failed may replace the day's snapshot
    executor: str | None = None  # threads (None) | processes | dask://HOST:PORT (audit.aws.executors)
    shard: str | None = None  # "I/N": crawl only the accounts of shard I of N (audit.store.shards)


@dataclass(frozen=True)
class ScanOptions:
    """How to scan: the day, parallelism, where clones are cached and how long git may take."""

    day: str | None = None
    workers: int | None = None  # None = repos.yaml workers
    cache_dir: Path | None = None  # bare-clone cache; None = repos.yaml cache_dir under base_dir
    base_dir: Path | None = None  # relative paths of repos.yaml resolve here; None = the working directory
    git_timeout: float = GIT_TIMEOUT
    progress: bool = True


@dataclass(frozen=True)
class AnalyzeOptions:
    """How to analyse: the ranking's top N and the Monte Carlo seed of its rank stability."""

    top_n: int = 10
    seed: int = 7


@dataclass(frozen=True)
class ReportOptions:
    """Which snapshot to report and how the notebooks run."""

    snapshot_date: str
    config_dir: Path | None = None  # None = the inventory directory
    top_n: int = 10
    capacity_days: float = 0.0  # person-days of the pick; 0 = the analysis' (surveys, else catalog planning)
    export_all: bool = False  # backlog with every work item, not only the pick
    notebooks_dir: Path | None = None  # None = $CICD_AUDIT_NOTEBOOKS or the project's notebooks/
    kernel_name: str = KERNEL
    shared_kernel: bool = True  # one kernel for the four notebooks
    progress: bool = False


@dataclass(frozen=True)
class WeeklyOptions:
    """One weekly run: refresh (crawl + scan, unless skip_crawl), analyze, report, all for one day."""

    crawl: CrawlOptions
    scan: ScanOptions
    analyze: AnalyzeOptions
    report: ReportOptions
    skip_crawl: bool = False  # reuse the day's snapshot instead of crawling and scanning again

    def __post_init__(self) -> None:
        days = {self.crawl.day, self.scan.day, self.report.snapshot_date}
        if len(days) != 1:
            raise ValueError(f"one weekly run is one day, got {sorted(map(str, days))}")

    @property
    def day(self) -> str:
        return self.report.snapshot_date

    @classmethod
    def for_day(cls, day: str, *, config_dir: Path | None = None, profile: str | None = None,
                endpoint_url: str | None = None, top_n: int = 10, export_all: bool = False,
                skip_crawl: bool = False, progress: bool = True, notebooks_dir: Path | None = None,
                replace: bool = False, executor: str | None = None) -> WeeklyOptions:
        """The options of `cicd-audit weekly`: each knob given once, copied into the verbs that use it."""
        return cls(
            crawl=CrawlOptions(day=day, profile=profile, endpoint_url=endpoint_url, progress=progress,
                               replace=replace, executor=executor),
            scan=ScanOptions(day=day, base_dir=config_dir, progress=progress),
            analyze=AnalyzeOptions(top_n=top_n),
            report=ReportOptions(snapshot_date=day, config_dir=config_dir, top_n=top_n, export_all=export_all,
                                 notebooks_dir=notebooks_dir, progress=progress),
            skip_crawl=skip_crawl)
