"""The crawl: (account, region, collector) tasks on any concurrent.futures.Executor.

Per account: one `start_account` task (AssumeRole, regions), then one task per regional collector
and region plus one per global collector. Collectors that take their tags from the tag index
(`Collector.bulk_tags`) start once the account's `read_tags` tasks (one GetResources pass per
region, audit.aws.tagging) are done; the others start at once. When an account's tasks are all done, its rows get
`managed_by`, and go to the staging area via `SnapshotWriter.write_account`; only a few accounts
are in flight at once, so memory stays flat however many accounts there are. `resume=True` skips
accounts already written; the published snapshot is the same as an uninterrupted crawl's.
Collectors that declare `reuses` get their account's rows of the last good snapshot (`Ctx.previous`)
and copy what they reuse into the new rows (docs/crawler.md, "Reusing the previous snapshot").
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections import Counter, deque
from collections.abc import Iterable
from concurrent.futures import Executor, Future
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any

from audit.aws.collectors import REGISTRY, select
from audit.aws.collectors.base import tags_json
from audit.aws.crawl_gc import crawl_gc
from audit.aws.discover import discovered_clients
from audit.aws.executors import check_executor, open_executor
from audit.aws.failures import collapse_region_denials
from audit.aws.managed import fill_event_triggers, fill_managed_by, fill_rollback_alarms
from audit.aws.partitions import crawl_partition
from audit.aws.session import GLOBAL, AwsSettings, Target, context_for, drop_context, forget_account
from audit.aws.tagging import TagIndex
from audit.aws.tasks import read_tags, run_collector, start_account
from audit.config import AccountsConfig, Client, load_accounts
from audit.errors import (
    EXIT_ALL_ACCOUNTS_FAILED,
    EXIT_SOME_ACCOUNTS_FAILED,
    AccountsFailed,
    AuditError,
    ConfigError,
)
from audit.interrupts import deferred_sigint
from audit.logs import console
from audit.names import REGION
from audit.options import CrawlOptions
from audit.store.shards import parse_shard
from audit.store.snapshots import SnapshotWriter, last_good_snapshot


@dataclass
class FailedAccount:
    """An account the crawl could not get into, and why (its session error row)."""

    account_id: str
    client: str
    error_class: str
    reason: str


@dataclass
class CrawlResult:
    snapshot_dir: Path
    accounts_ok: int = 0
    accounts_partial: int = 0
    accounts_failed: int = 0
    errors: int = 0
    calls: int = 0
    outcome: str = "ok"  # audit.store.outcome: ok | partial | all-failed | empty
    kept: str | None = None  # why the day's existing snapshot was kept instead of this crawl
    failed: list[FailedAccount] = field(default_factory=list)
    error_classes: dict[str, int] = field(default_factory=dict)  # error rows per class (errors inside accounts too)

    @property
    def accounts_total(self) -> int:
        return self.accounts_ok + self.accounts_partial + self.accounts_failed

    @property
    def exit_code(self) -> int:
        """0 when every account was crawled (errors inside accounts are data), 3 some failed, 4 all did."""
        if not self.accounts_failed:
            return 0
        if self.accounts_failed < self.accounts_total:
            return EXIT_SOME_ACCOUNTS_FAILED
        return EXIT_ALL_ACCOUNTS_FAILED

    def not_published(self) -> str | None:
        """The line saying the store kept the day's snapshot instead of this crawl (None if published)."""
        if not self.kept:
            return None
        staging = self.snapshot_dir.parent / f".staging-{self.snapshot_dir.name}"
        return f"crawl: not published: {self.kept}; this crawl stays in {staging}"

    def summary(self) -> list[str]:
        """The end-of-crawl lines: totals, then each failed account with its reason, grouped by class."""
        lines = [f"crawl: {self.snapshot_dir} — accounts ok {self.accounts_ok}, partial {self.accounts_partial}, "
                 f"failed {self.accounts_failed}; {self.errors} errors, {self.calls} calls"]
        if self.error_classes:
            lines.append("errors by class: " + ", ".join(
                f"{k} {n}" for k, n in sorted(self.error_classes.items(), key=lambda kv: (-kv[1], kv[0]))))
        by_class: dict[str, list[FailedAccount]] = {}
        for f in self.failed:
            by_class.setdefault(f.error_class, []).append(f)
        for klass, accounts in sorted(by_class.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lines.append(f"failed accounts, {klass} ({len(accounts)}):")
            lines += [f"  {a.client} ({a.account_id}): {a.reason}" for a in accounts]
        return lines


@dataclass
class _Account:
    """One account in flight: its pending task count and the rows gathered so far."""

    client: Client
    target: Target
    regions: list[str] = field(default_factory=list)
    pending: int = 0
    failed: bool = False
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    started: float = field(default_factory=time.monotonic)
    tag_parts: list[tuple[str, dict[str, dict[str, str]] | None]] = field(default_factory=list)
    tags_pending: int = 0
    earlier: dict[str, list[dict[str, Any]]] | None = None  # its rows in the last good snapshot (`reuses`)

    def add(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        for table, items in rows.items():
            self.rows.setdefault(table, []).extend(items)


def _filter_accounts(clients: list[Client], only: Iterable[str] | None) -> list[Client]:
    if not only:
        return clients
    wanted = {o.strip() for o in only if o.strip()}
    picked = [c for c in clients if c.account_id in wanted or c.name in wanted]
    unknown = wanted - {c.account_id for c in picked} - {c.name for c in picked}
    if unknown:
        raise ConfigError(f"unknown account(s) {', '.join(sorted(unknown))}: expected ids or client names "
                          "from accounts.yaml", field="--accounts-only")
    return picked


def _check_regions(regions: list[str] | None) -> list[str] | str | None:
    if not regions:
        return None
    if regions == ["all"]:
        return "all"
    bad = [r for r in regions if not REGION.match(r)]
    if bad:
        raise ConfigError(f"not a region: {', '.join(bad)} (expected e.g. eu-west-1, or all)", field="--regions")
    return regions


def _configured_regions(config: AccountsConfig, override: list[str] | str | None) -> list[str]:
    """The regions named for this crawl (`--regions`, else accounts.yaml's): they decide the partition."""
    if isinstance(override, list):
        return override
    named = [config.defaults.regions, *(c.regions for c in config.clients)]
    return [r for regions in named if isinstance(regions, list) for r in regions]


def _config_hash(config: AccountsConfig) -> str:
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]


class _Reporter:
    """rich progress on a terminal, one plain line per account otherwise (or nothing)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.errors = total, 0, 0
        self.enabled = enabled
        self.progress = None
        if enabled and console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("crawl"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("errors: {task.fields[errors]}"), TimeRemainingColumn(),
                                     console=console, transient=False)
            self.task = self.progress.add_task("crawl", total=total, errors=0)
            self.progress.start()

    def account(self, acct: _Account, status: str, seconds: float) -> None:
        self.done += 1
        self.errors += len(acct.errors)
        if self.progress is not None:
            self.progress.update(self.task, completed=self.done, errors=self.errors)
        elif self.enabled:
            print(f"crawl [{self.done}/{self.total}] {acct.client.name} ({acct.target.account_id}): {status}, "
                  f"{len(acct.errors)} errors, {acct.calls} calls, {seconds:.1f}s", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


_Task = tuple[tuple[str, str], _Account]  # (what the task is: kind and name, its account)


def crawl(config: AccountsConfig, out: Path, options: CrawlOptions = CrawlOptions(), *,
          executor: Executor | None = None) -> CrawlResult:
    """Crawl every selected account into OUT/snapshots/<day>/ (see module doc).

    History (executions, builds, deployments) covers `history_days` back from now, or up to
    `history_until` when a crawl must show the past as it was (the demo's last-week snapshot).
    Any Executor runs the tasks (a Dask cluster's too); by default the one `options.executor` names
    (audit.aws.executors: a thread pool of `workers` unless told otherwise). `options.shard` (I/N)
    keeps the accounts of one shard (audit.store.shards), recorded in the manifest for merging.
    The store decides whether the crawl replaces the day's snapshot (`replace` forces a partial one).
    """
    o = options
    profile, resume, history_until = o.profile, o.resume, o.history_until
    accounts_only = list(o.accounts_only) if o.accounts_only else None
    regions = list(o.regions) if o.regions else None
    services = list(o.services) if o.services else None
    d = config.defaults
    day = o.day or datetime.now(UTC).date().isoformat()
    workers = o.workers or d.max_workers
    collectors = select(services)
    region_override = _check_regions(regions)
    partition, home_region = crawl_partition(_configured_regions(config, region_override))
    settings = AwsSettings(profile=profile, endpoint_url=o.endpoint_url or config.endpoint_url,
                           retry_mode=d.retry.mode, max_attempts=d.retry.max_attempts,
                           connect_timeout=d.retry.connect_timeout, read_timeout=d.retry.read_timeout,
                           max_pool_connections=workers, session_name=d.session_name,
                           partition=partition, home_region=home_region)
    shard = parse_shard(o.shard)
    executor_spec = check_executor(o.executor) if executor is None else type(executor).__name__
    # a bad profile (ConfigError), missing credentials or a dead endpoint (PreflightError): exit 2
    # before anything is written
    try:
        context_for(settings, day).preflight()
    except AuditError:
        drop_context(settings, day)
        raise
    clients = discovered_clients(config, settings) if config.discover is not None else list(config.clients)
    clients = _filter_accounts(clients, accounts_only)
    if shard is not None:
        clients = [c for c in clients if shard.holds(c.account_id)]
    history = o.history_days or d.history_days
    since = (history_until or datetime.now(UTC)) - timedelta(days=history)
    writer = SnapshotWriter(Path(out), day, resume=resume)
    # what collectors may reuse instead of fetching again (commit times): the last good snapshot
    earlier = last_good_snapshot(out, before=day)
    reused = tuple(dict.fromkeys(t for c in collectors for t in c.reuses)) if earlier else ()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    done_before = writer.done_accounts
    todo = deque(c for c in clients if c.account_id not in done_before)
    reporter = _Reporter(len(todo), o.progress)
    resources = ExitStack()
    resources.enter_context(crawl_gc())
    pool = executor or resources.enter_context(open_executor(executor_spec, workers))
    regional = [c for c in collectors if c.scope == "regional"]
    global_ = [c for c in collectors if c.scope == "global"]
    tag_types = tuple(sorted({t for c in collectors for t in c.bulk_tags}))
    max_in_flight = max(2, workers)  # memory scales with workers, not with accounts
    futures: dict[Future, _Task] = {}
    # Futures report here as they finish: waiting on all pending ones (concurrent.futures.wait) costs
    # O(pending) per call, and at 48 accounts in flight ~2,600 are pending (1.5-4 ms a call).
    finished_queue: SimpleQueue[Future] = SimpleQueue()

    def track(future: Future, what: _Task) -> None:
        futures[future] = what
        future.add_done_callback(finished_queue.put)

    def finished_now() -> list[Future]:
        """The futures that finished since the last call; waits up to 0.2 s for the first."""
        try:
            out = [finished_queue.get(timeout=0.2)]
        except Empty:
            return []
        while True:
            try:
                out.append(finished_queue.get_nowait())
            except Empty:
                return out
    in_flight: dict[str, _Account] = {}
    called: dict[str, set[str]] = {c.name: set() for c in collectors}  # operations each collector called

    def launch() -> None:
        while todo and len(in_flight) < max_in_flight:
            c = todo.popleft()
            target = Target(c.account_id, c.name, c.role_arn(d, settings.partition), c.external_id or d.external_id)
            acct = in_flight[c.account_id] = _Account(c, target, pending=1)
            wanted = region_override or config.regions_for(c)
            track(pool.submit(start_account, settings, day, target, wanted), (("start", ""), acct))

    def submit(acct: _Account, which: Any, tags: TagIndex | None) -> None:
        """The account's collector tasks that `which` picks, global ones first (IAM is one of the
        longest chains of an account)."""
        tasks = [(GLOBAL, c) for c in global_ if which(c)] + [
            (r, c) for c in regional if which(c) for r in acct.regions]
        if earlier and tasks and acct.earlier is None:
            acct.earlier = {t: earlier.account_rows(t, acct.target.account_id) for t in reused}
        for region, c in tasks:
            previous = {t: [r for r in (acct.earlier or {})[t] if r.get("region") == region]
                        for t in c.reuses if t in (acct.earlier or {})}
            f = pool.submit(run_collector, settings, day, acct.target, region, c.name, since, history_until,
                            tags if c.bulk_tags else None, previous=previous, revision_lookups=d.revision_lookups)
            track(f, (("collect", c.name), acct))
        acct.pending += len(tasks)

    def finish(acct: _Account) -> None:
        acct.errors = collapse_region_denials(acct.errors)
        fill_managed_by(acct.rows)
        fill_rollback_alarms(acct.rows)
        fill_event_triggers(acct.rows)
        status = "failed" if acct.failed else "partial" if acct.errors else "ok"
        seconds = time.monotonic() - acct.started
        acct.rows["accounts"] = [{
            "account_id": acct.target.account_id, "client": acct.client.name, "teams": list(acct.client.teams),
            "tags": tags_json(dict(acct.client.tags)), "role_arn": acct.target.role_arn,
            "regions": acct.regions, "status": status, "error_count": len(acct.errors), "calls": acct.calls,
            "seconds": round(seconds, 3),
        }]
        acct.rows["errors"] = acct.errors
        writer.write_account(acct.target.account_id, acct.rows)
        forget_account(settings, day, acct.target.account_id)
        del in_flight[acct.target.account_id]
        reporter.account(acct, status, seconds)

    def session_up(acct: _Account, _name: str, result: dict[str, Any]) -> None:
        """The account's session is up: its collectors, and the tag index's passes if any read it."""
        acct.failed, acct.regions = result["failed"], result["regions"]
        if acct.failed:
            return
        reading = bool(tag_types and acct.regions)
        submit(acct, lambda c: not (reading and c.bulk_tags), None)
        for region in acct.regions if reading else ():
            track(pool.submit(read_tags, settings, day, acct.target, region, tag_types), (("tags", region), acct))
            acct.pending += 1
            acct.tags_pending += 1

    def tagged(acct: _Account, _region: str, result: dict[str, Any]) -> None:
        """One region's tag pass; with the last one, the collectors that read the tag index."""
        acct.tag_parts.append((result["region"], result["tags"]))
        acct.tags_pending -= 1
        if acct.tags_pending == 0:
            submit(acct, lambda c: bool(c.bulk_tags), TagIndex.merge(acct.tag_parts))
            acct.tag_parts = []

    def collected(acct: _Account, name: str, result: dict[str, Any]) -> None:
        acct.add(result["rows"])
        called[name].update(result["operations"])

    handlers = {"start": session_up, "tags": tagged, "collect": collected}

    try:
        with deferred_sigint() as interrupted:
            launch()
            while futures:
                finished = finished_now()
                if interrupted.is_set():
                    raise KeyboardInterrupt
                for fut in finished:
                    (kind, name), acct = futures.pop(fut)
                    result = fut.result()
                    acct.pending -= 1
                    acct.calls += result["calls"]
                    acct.errors.extend(result["errors"])
                    handlers[kind](acct, name, result)
                    if acct.pending == 0:
                        finish(acct)
                launch()
    except KeyboardInterrupt:
        console.print(f"crawl interrupted: {len(writer.done_accounts)} accounts are saved; run the same command "
                      "with --resume to finish without redoing them", soft_wrap=True, highlight=False, markup=False)
        raise
    finally:
        reporter.close()
        resources.close()  # the executor opened here, if any
        drop_context(settings, day)

    accounts = writer.read_part("accounts").to_pylist()
    statuses = [a["status"] for a in accounts]
    error_list = writer.read_part("errors").to_pylist()
    result = CrawlResult(
        snapshot_dir=Path(out) / "snapshots" / day, accounts_ok=statuses.count("ok"),
        accounts_partial=statuses.count("partial"), accounts_failed=statuses.count("failed"),
        errors=sum(a["error_count"] for a in accounts), calls=sum(a["calls"] for a in accounts),
        failed=_failed_accounts(accounts, error_list),
        error_classes=dict(Counter(e["error_class"] for e in error_list)))
    manifest = {
        "started": started, "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "config_hash": _config_hash(config), "accounts_total": len(accounts),
        "accounts_ok": result.accounts_ok, "accounts_partial": result.accounts_partial,
        "accounts_failed": result.accounts_failed, "calls": result.calls, "errors": result.errors,
        "resumed": bool(resume and done_before),
        "accounts_skipped": len(done_before & {c.account_id for c in clients}), "workers": workers,
        "history_days": history, "reused_from": earlier.date if earlier else None,
        "filters": {"accounts_only": accounts_only, "regions": regions, "services": services},
        "collectors": [c.name for c in collectors], "endpoint_url": settings.endpoint_url,
        "operations": {name: sorted(ops) for name, ops in called.items()},
        "profile": profile, "executor": executor_spec,
    }
    if shard is not None:
        manifest["shard"] = {"index": shard.index, "count": shard.count,
                             "accounts": sorted(c.account_id for c in clients)}
    published = writer.publish(manifest, section="crawl", replace=o.replace)
    result.snapshot_dir, result.outcome, result.kept = published.path, published.outcome, published.kept
    if o.progress:
        for line in result.summary():  # soft_wrap: whole lines in plain logs, not 80 columns
            console.print(line, soft_wrap=True, highlight=False, markup=False)
    return result


def failed_accounts_error(result: CrawlResult | dict[str, Any], what: str = "") -> AccountsFailed | None:
    """The AccountsFailed (exit 3 or 4) a crawl result or its manifest section stands for, if any."""
    failed, total, where = ((result.accounts_failed, result.accounts_total, result.snapshot_dir)
                            if isinstance(result, CrawlResult) else
                            (result.get("accounts_failed", 0), result.get("accounts_total", 0), what))
    if not failed:
        return None
    rest = f"{what or 'the snapshot of the others is in ' + str(where)}"
    return AccountsFailed(f"{failed} of {total} accounts failed (named in the crawl summary); {rest}",
                          failed=failed, total=total)


def _failed_accounts(accounts: list[dict[str, Any]], errors: list[dict[str, Any]]) -> list[FailedAccount]:
    """Each failed account with the class and message of its first session error."""
    first: dict[str, dict[str, Any]] = {}
    for e in errors:
        if e.get("source") == "crawl" and e.get("collector") == "session":
            first.setdefault(e["account_id"], e)
    out = []
    for a in accounts:
        if a["status"] == "failed":
            e = first.get(a["account_id"], {})
            reason = " ".join(f"{e.get('error_code') or ''}: {e.get('message') or 'no reason recorded'}".split())
            out.append(FailedAccount(a["account_id"], a["client"], e.get("error_class") or "other", reason))
    return out


def crawl_command(accounts_file: Path | None, out: Path, options: CrawlOptions = CrawlOptions(),
                  list_services: bool = False) -> CrawlResult | None:
    """`cicd-audit crawl`: exit 0 when every account was crawled (errors inside accounts are data),
    3 when some accounts failed, 4 when all did (AccountsFailed); bad input or preflight -> exit 2."""
    if list_services:
        for name, c in REGISTRY.items():
            print(f"{name:<16} {c.scope:<9} {', '.join(c.tables)}")
        return None
    if accounts_file is None:
        raise ConfigError("missing: the accounts.yaml to crawl (or --list-services)", field="--accounts")
    select(list(options.services) if options.services else None)  # validate before touching anything
    parse_shard(options.shard)
    check_executor(options.executor)
    day = options.day
    if day:
        try:
            if datetime.strptime(day, "%Y-%m-%d").date().isoformat() != day:  # 2026-1-5 parses too
                raise ValueError(day)
        except ValueError:
            raise ConfigError(f"expected YYYY-MM-DD, got {day!r}", field="--date") from None
    config = load_accounts(accounts_file)
    result = crawl(config, out, options)
    notice = result.not_published()
    if notice:
        console.print(notice, highlight=False, markup=False, soft_wrap=True)
    problem = failed_accounts_error(result)
    if problem:
        raise problem
    return result
