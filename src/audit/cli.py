"""The `cicd-audit` command line: one verb per pipeline step.

Each command only parses options and hands them to the module that does the work, so the CLI
stays a thin, greppable map. User errors (`AuditError`) become one line on stderr and their exit
code (2 for bad input); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from audit import pipeline
from audit._version import __version__
from audit.analysis.run import analyze_command
from audit.aws.crawler import crawl_command
from audit.config import load_accounts, load_config_file, record_decision
from audit.config.accounts import endpoint_url_problem
from audit.config.crosscheck import unknown_names
from audit.config.decisions import STATUSES
from audit.errors import AuditError, ConfigError
from audit.logs import setup_logging
from audit.onboarding.kit import onboarding_command
from audit.options import AnalyzeOptions, CrawlOptions, ScanOptions, WeeklyOptions
from audit.repos.scan import scan_command, scan_path_command
from audit.store.query import DEFAULT_SECONDS, FORMATS, query_command
from audit.store.shards import merge_shards


def _csv(value: str | None) -> tuple[str, ...] | None:
    items = tuple(v.strip() for v in (value or "").split(",") if v.strip())
    return items or None


def _endpoint_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse a file:// or hostless endpoint before anything is written (botocore fails mid-crawl)."""
    problem = endpoint_url_problem(value) if value is not None else None
    if problem:
        raise click.BadParameter(problem, ctx=ctx, param=param)
    return value


EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
EXISTING_DIR = click.Path(exists=True, file_okay=False, path_type=Path)
OUT_DIR = click.Path(file_okay=False, path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="cicd-audit")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Audit what a consultancy really runs across client AWS accounts and team repositories,
    find the shared deployment patterns, and rank the automation work that pays back most."""
    setup_logging(verbose)
    ctx.ensure_object(dict)


@cli.command()
@click.option("--accounts", "accounts_file", type=EXISTING_FILE, help="accounts.yaml (required to crawl)")
@click.option("--out", type=OUT_DIR, default=Path("inventory"), show_default=True,
              help="Inventory root; the snapshot goes to OUT/snapshots/<date>/.")
@click.option("--profile", help="AWS profile for the base credentials (SSO profiles work) [default: $AWS_PROFILE].")
@click.option("--endpoint-url", callback=_endpoint_url, help="Send every AWS call here (moto, LocalStack).")
@click.option("--workers", type=click.IntRange(1, 512), help="Parallel tasks [default: accounts.yaml or 16].")
@click.option("--accounts-only", help="Comma-separated account ids or client names to crawl.")
@click.option("--regions", help="Comma-separated regions, overriding the config.")
@click.option("--services", help="Comma-separated collectors (see --list-services).")
@click.option("--resume", is_flag=True, help="Finish today's interrupted crawl without redoing done accounts.")
@click.option("--date", "day", help="Snapshot date YYYY-MM-DD [default: today, UTC].")
@click.option("--history-days", type=click.IntRange(1, 365), help="Days of executions/builds/deployments.")
@click.option("--list-services", is_flag=True, help="Print the collector names and exit.")
@click.option("--replace", is_flag=True,
              help="Replace today's snapshot even when some accounts failed (never with an all-failed crawl).")
@click.option("--executor", help="threads (default) | processes (every core) | dask://HOST:PORT (docs/crawler.md).")
@click.option("--shard", help="I/N: crawl only shard I of N (stable hash of the account id); see merge-snapshots.")
def crawl(accounts_file: Path | None, out: Path, list_services: bool, accounts_only: str | None, regions: str | None,
          services: str | None, **opts: Any) -> None:
    """Crawl every client account (AssumeRole, read-only) into a dated snapshot.

    Exit 0: every account crawled (errors inside accounts are data); 3: some accounts failed; 4: all
    did; 2: bad input, or no working credentials/endpoint (nothing written)."""
    if accounts_file is None and not list_services:
        raise click.UsageError("Missing option '--accounts' (needed unless --list-services).")
    options = CrawlOptions(accounts_only=_csv(accounts_only), regions=_csv(regions), services=_csv(services),
                           **opts)
    crawl_command(accounts_file, out, options, list_services=list_services)


@cli.command("merge-snapshots")
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=OUT_DIR, default=Path("inventory"), show_default=True,
              help="Inventory root; the merged snapshot goes to OUT/snapshots/<date>/.")
@click.option("--replace", is_flag=True, help="Replace the day's snapshot even when some accounts failed.")
def merge_snapshots(shards: tuple[Path, ...], out: Path, replace: bool) -> None:
    """Merge the snapshots of `crawl --shard 1/N` .. `N/N` (one day) into one snapshot.

    SHARDS are the shard snapshot directories (or inventory roots: their latest snapshot). Exit 2,
    with nothing written, unless they are exactly shards 1..N of one day and config."""
    published = merge_shards(list(shards), out, replace=replace)
    click.echo(f"merge-snapshots: {published.path} ({published.outcome})" if published.published else
               f"merge-snapshots: not published: {published.kept}")


@cli.command()
@click.option("--repos", "repos_file", type=EXISTING_FILE, required=True, help="repos.yaml")
@click.option("--out", type=OUT_DIR, default=Path("inventory"), show_default=True, help="Inventory root.")
@click.option("--workers", type=click.IntRange(1, 128), help="Parallel repositories [default: repos.yaml].")
@click.option("--cache-dir", type=OUT_DIR, help="Bare-clone cache [default: repos.yaml cache_dir].")
@click.option("--date", "day", help="Snapshot date YYYY-MM-DD [default: today, UTC].")
@click.option("--survey", "survey_dir", type=EXISTING_DIR,
              help="Team surveys (sprint calendars) [default: survey/ beside repos.yaml].")
@click.option("--git-timeout", type=click.FloatRange(1, 86_400), default=ScanOptions.git_timeout,
              show_default=True, help="Seconds one git clone or fetch may take.")
def scan(repos_file: Path, out: Path, survey_dir: Path | None, **opts: Any) -> None:
    """Scan every team repository: build tools, CI, IaC, packaging, deploy targets, git history."""
    scan_command(repos_file, out, ScanOptions(**opts), survey_dir=survey_dir)


@cli.command("scan-path")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (six trait lists + evidence).")
def scan_path(path: Path, as_json: bool) -> None:
    """Detect the traits of one local repository or working tree."""
    scan_path_command(path, as_json=as_json)


@cli.command()
@click.option("--snapshot", type=click.Path(exists=True, path_type=Path), default=Path("inventory"),
              show_default=True, help="A snapshot directory, or an inventory root (latest snapshot).")
@click.option("--catalog", type=EXISTING_FILE, default=Path("inventory/catalog.yaml"), show_default=True)
@click.option("--survey", "survey_dir", type=EXISTING_DIR, help="Team surveys; only these are read [default: none].")
@click.option("--decisions", "decisions_file", type=EXISTING_FILE,
              help="Meeting picks (decisions.yaml); only this file is read [default: none].")
@click.option("--top-n", type=click.IntRange(1, 500), default=10, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="Rank-stability Monte Carlo seed.")
def analyze(snapshot: Path, catalog: Path, survey_dir: Path | None, decisions_file: Path | None, top_n: int,
            seed: int) -> None:
    """Units, patterns, overlap, baseline, delivery, ranking, picks and drift beside the snapshot."""
    analyze_command(snapshot, catalog, AnalyzeOptions(top_n=top_n, seed=seed), survey_dir=survey_dir,
                    decisions_file=decisions_file)


@cli.command()
@click.option("--snapshot", type=click.Path(exists=True, path_type=Path), default=Path("inventory"),
              show_default=True, help="A snapshot directory, or an inventory root (latest snapshot).")
@click.option("--accounts", "accounts_file", type=EXISTING_FILE,
              help="accounts.yaml: whether the clients share an Organization (options.md) [default: unknown].")
@click.option("--out", type=OUT_DIR, default=Path("reports"), show_default=True)
def onboarding(snapshot: Path, accounts_file: Path | None, out: Path) -> None:
    """The onboarding kit: baseline.yaml (CloudFormation, cfn-lint checked), plan.md/json, options.md.

    Written to OUT/<date>/onboarding/; it never deploys anything."""
    onboarding_command(snapshot, out, load_accounts(accounts_file) if accounts_file else None)


@cli.command()
@click.argument("sql")
@click.option("--snapshot", type=click.Path(exists=True, path_type=Path), default=Path("inventory"),
              show_default=True, help="A snapshot directory, or an inventory root (latest snapshot).")
@click.option("--date", "day", help="With an inventory root: the snapshot of this date.")
@click.option("--all", "all_snapshots", is_flag=True,
              help="Every complete snapshot under the root, with a leading snapshot_date column.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--time-limit", "seconds", type=click.FloatRange(1, 3600), default=DEFAULT_SECONDS,
              show_default=True, help="Seconds the query may run.")
def query(sql: str, snapshot: Path, **opts: Any) -> None:
    """Ask the inventory a question: one read-only SELECT over crawl and analysis tables (SQL `-`: stdin).

    Tables and columns: docs/tables.md. Bad SQL: exit 2, the message names line and column."""
    query_command(sql, snapshot, **opts)


@cli.command()
@click.option("--config", "config_dir", type=EXISTING_DIR, default=Path("inventory"), show_default=True,
              help="Directory with accounts.yaml, repos.yaml, catalog.yaml, survey/.")
@click.option("--out", type=OUT_DIR, default=Path("reports"), show_default=True)
@click.option("--profile", help="AWS profile for the base credentials.")
@click.option("--endpoint-url", callback=_endpoint_url, help="Send every AWS call here (moto, LocalStack).")
@click.option("--top-n", type=click.IntRange(1, 500), default=10, show_default=True)
@click.option("--all", "export_all", is_flag=True, help="Export every work item, not only the top N.")
@click.option("--skip-crawl", is_flag=True, help="Reuse today's snapshot instead of crawling again.")
@click.option("--replace", is_flag=True,
              help="Replace today's snapshot even when some accounts failed (never with an all-failed crawl).")
@click.option("--executor", help="Where crawl tasks run: threads | processes | dask://HOST:PORT.")
def weekly(config_dir: Path, out: Path, **opts: Any) -> None:
    """The whole weekly run: crawl, scan, analyze, notebooks, report.html and backlog."""
    options = WeeklyOptions.for_day(pipeline.today(), config_dir=config_dir.resolve(), **opts)
    pipeline.weekly_command(config_dir, out, options)


@cli.command()
@click.option("--clients", type=click.IntRange(1, 500), default=24, show_default=True)
@click.option("--out", type=OUT_DIR, default=Path("demo-output"), show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--top-n", type=click.IntRange(1, 500), default=10, show_default=True)
@click.option("--all", "export_all", is_flag=True, help="Export every work item, not only the top N.")
def demo(**opts: Any) -> None:
    """Run the whole weekly job against a synthetic client fleet on an in-process moto server."""
    from audit.demo.run import demo_command  # start-up time: moto and the fleet load only for demo/fleet

    demo_command(**opts)


@cli.group()
def fleet() -> None:
    """The synthetic client fleet (moto server on 127.0.0.1) for demos, tests and benchmarks."""


@fleet.command("serve")
@click.option("--clients", type=click.IntRange(1, 2000), default=24, show_default=True)
@click.option("--regions", default="eu-west-1,us-east-1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True, help="0 = any free port.")
@click.option("--out", type=OUT_DIR, default=Path("fleet"), show_default=True,
              help="Writes accounts.yaml, repos.yaml, survey/, catalog.yaml and repos/ here.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--latency-ms", type=click.IntRange(0, 10_000), default=0, show_default=True,
              help="Server-side delay added to every request.")
@click.option("--no-repos", is_flag=True, help="Do not generate the teams' git repositories.")
@click.option("--faults", default=None, metavar="SPEC",
              help="Inject faults, e.g. 'deny=codepipeline:GetPipeline,throttle=20%,5xx=5%,stall=1%:2,"
                   "die-after=500,seed=1' (docs/fleet.md).")
def fleet_serve(**opts: Any) -> None:
    """Start moto, seed the fleet, write the configs pointing at it, serve until Ctrl-C."""
    from audit.demo.fleet import serve_command  # start-up time: moto and the fleet load only for demo/fleet

    opts["regions"] = list(_csv(opts["regions"]) or ())
    serve_command(**opts)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check config files (accounts, repos, survey, catalog) without crawling; teams and clients
    named in repos/survey files must be in an accounts file given alongside."""
    loaded = [(path, *load_config_file(path)) for path in files]
    problems = [p for _, kind, accounts in loaded if kind == "accounts"
                for path, other, model in loaded if other in ("repos", "survey")
                for p in unknown_names(accounts, path, model)]
    if problems:
        raise ConfigError("\n".join(str(p) for p in problems))
    for path, kind, _ in loaded:
        click.echo(f"{path}: ok ({kind})")


@cli.command()
@click.argument("item")
@click.option("--owner", help="Owning team (a team of accounts.yaml); needed to pick an item.")
@click.option("--sprint", help="Target sprint.")
@click.option("--status", type=click.Choice(STATUSES), help="New status of the item's open pick.")
@click.option("--note", help="A short note kept with the pick.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Meeting / change date [default: today, UTC].")
@click.option("--decisions", "path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("inventory/decisions.yaml"), show_default=True)
def decide(item: str, path: Path, day: Any, **opts: Any) -> None:
    """Record a meeting's pick, or move an open pick along (in progress, done, dropped).

    Items are checked against catalog.yaml and owners against accounts.yaml beside decisions.yaml;
    comments in the file are kept; a refused edit writes nothing (exit 2)."""
    when = day.date() if day else date.fromisoformat(pipeline.today())
    click.echo(f"{path}: {record_decision(path, item, day=when, **opts)}")


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="cicd-audit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AuditError as exc:
        click.echo(f"cicd-audit: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(0)
