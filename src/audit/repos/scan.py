"""`cicd-audit scan` and `scan-path`: every team repository into the day's snapshot.

One repository = list its files, detect traits (detectors.py), read git signals (activity.py).
Repositories run in parallel; a failing one becomes an `errors` row and the scan goes on. The
tables are written with `write_snapshot(..., section="scan")`, which merges them into the day's
snapshot, before or after the crawl (linking pipelines to repositories is analysis: analysis/links.py). Remote repositories are read from the bare clone cache (sources.py); a detection
result is cached per (tree, rule table) so an unchanged repository is not probed again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit.config import RepoEntry, ReposConfig, Survey, load_repos, load_surveys
from audit.logs import console
from audit.options import GIT_TIMEOUT, ScanOptions
from audit.repos import activity, codecommit
from audit.repos import detectors as D
from audit.repos import rules as R
from audit.repos.sources import (
    GitError,
    GitTree,
    LocalTree,
    cache_path,
    git,
    is_bare_repo,
    resolve_rev,
    sync_clone,
    url_credentials,
)
from audit.store.error_rows import error_row
from audit.store.schema import TRAIT_FAMILIES
from audit.store.snapshots import snapshots_dir, write_snapshot
from audit.urls import strip_credentials

log = logging.getLogger(__name__)
MAX_NOTE_ROWS = 20
RULES_VERSION = hashlib.sha256(
    Path(R.__file__).read_bytes() + Path(D.__file__).read_bytes()).hexdigest()[:16]
DETECT_CACHE = "cicd-audit-detect.json"


@dataclass
class ScanResult:
    snapshot_dir: Path
    repos_ok: int
    repos_failed: int
    errors: int = 0


@dataclass
class RepoScan:
    repo: dict[str, Any]
    traits: list[dict[str, Any]] = field(default_factory=list)
    activity: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def detect_path(path: str | Path) -> dict:
    """The six trait lists (sorted) and `family:value` -> evidence paths for one local directory."""
    tree = LocalTree(Path(path))
    return D.detect(tree.entries(), tree.read).as_dict()


def _error(entry: RepoEntry, operation: str, klass: str, code: str, message: str) -> dict[str, Any]:
    return error_row("scan", collector=entry.name, operation=operation, error_class=klass, error_code=code,
                     message=message)  # error_row redacts (credentials, URL userinfo) and shortens


def _location(entry: RepoEntry, base_dir: Path) -> str:
    """A URL as given, or a relative path/URL resolved against base_dir."""
    where = entry.url or entry.path or ""
    if entry.url and ("://" in where or "@" in where.split("/")[0]):
        return where
    path = Path(where).expanduser()
    return str(path if path.is_absolute() else (base_dir / path).resolve())


def _cached_detect(git_dir: Path, tree: GitTree, tree_oid: str) -> D.Detection:
    cache = git_dir / DETECT_CACHE
    try:
        saved = json.loads(cache.read_text())
        if saved["tree"] == tree_oid and saved["rules"] == RULES_VERSION:
            det = D.Detection(file_count=saved["file_count"])
            det.traits = {tuple(k.split(":", 1)): v for k, v in saved["traits"].items()}
            det.notes = [D.Note(p, r) for p, r in saved["notes"]]
            return det
    except (OSError, ValueError, KeyError):
        pass
    det = D.detect(tree.entries(), tree.read)
    payload = {"tree": tree_oid, "rules": RULES_VERSION, "file_count": det.file_count,
               "traits": {f"{f}:{v}": p for (f, v), p in det.traits.items()},
               "notes": [[n.path, n.reason] for n in det.notes]}
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload))
    tmp.replace(cache)
    return det


def scan_one(entry: RepoEntry, *, base_dir: Path, cache_dir: Path, surveys: dict[str, Survey],
             now: datetime, git_timeout: float = GIT_TIMEOUT) -> RepoScan:
    """Scan one repository; every failure is caught and returned as errors rows."""
    location = _location(entry, base_dir)
    row: dict[str, Any] = {"repo": entry.name, "team": entry.team, "url": strip_credentials(entry.url or entry.path or ""),
                           "clients": list(entry.clients), "status": "failed", "file_count": 0,
                           "skipped_count": 0}
    out = RepoScan(row)
    step = "open"
    try:
        git_dir: Path | None = None
        fresh = False
        if entry.url:
            step = "clone"
            fresh = not (cache_path(cache_dir, location) / "HEAD").exists()
            git_dir, _ = sync_clone(location, cache_dir, timeout=git_timeout)
        elif not Path(location).is_dir():
            out.errors.append(_error(entry, "open", "not-found", "FileNotFoundError", f"no directory {location}"))
            return out
        elif is_bare_repo(Path(location)):
            git_dir = Path(location)
        step = "list"
        if git_dir is not None:
            branch, head = resolve_rev(git_dir, entry.branch)
            row["default_branch"] = branch
            if head is None:
                row["status"] = "empty"
                return out
            tree = GitTree(git_dir, head, sizes=not entry.url, fresh=fresh,
                           auth=url_credentials(location)[1] if entry.url else None)
            step = "detect"
            if entry.url:  # the clone cache is ours: its detection is cached per tree
                tree_oid = git(["rev-parse", f"{head}^{{tree}}"], cwd=git_dir).stdout.decode().strip()
                det = _cached_detect(git_dir, tree, tree_oid)
            else:
                det = D.detect(tree.entries(), tree.read)
        else:
            local = LocalTree(Path(location))
            git_dir = local.root if local.git else None
            branch, head = resolve_rev(local.root, entry.branch) if local.git else (None, None)
            row["default_branch"] = branch
            step = "detect"
            det = D.detect(local.entries(), local.read)
        row.update(head_commit=head, file_count=det.file_count, skipped_count=det.skipped_count,
                   status="ok" if det.file_count else "empty")
        out.traits = [{"repo": entry.name, "team": entry.team, "family": f, "value": v, "evidence": p}
                      for (f, v), p in sorted(det.traits.items())]
        for note in det.notes[:MAX_NOTE_ROWS]:
            out.errors.append(_error(entry, "read", "invalid-content", note.reason, f"{note.path}: {note.reason}"))
        if git_dir is not None and head:
            step = "history"
            _history(entry, git_dir, head, surveys.get(entry.team), now, out)
    except GitError as exc:
        out.errors.append(_error(entry, step, exc.kind, "GitError", str(exc)))
        row["status"] = "failed"
    except Exception as exc:  # noqa: BLE001 - one repository never stops the scan
        log.debug("scan of %s failed", entry.name, exc_info=True)
        out.errors.append(_error(entry, step, "other", type(exc).__name__, str(exc)))
        row["status"] = "failed"
    return out


def _history(entry: RepoEntry, git_dir: Path, head: str, survey: Survey | None, now: datetime,
             out: RepoScan) -> None:
    sig = activity.commit_signals(git_dir, head, now=now)
    out.repo.update(last_commit_at=sig.last_commit_at, commits_90d=sig.commits_90d, authors_90d=sig.authors_90d)
    calendar = survey.sprint if survey else None
    kinds = []
    for tag, commit, when in activity.tags(git_dir):
        kind = activity.release_kind(tag, when, calendar)
        kinds.append(kind)
        out.activity.append({"repo": entry.name, "team": entry.team, "tag": tag, "commit": commit,
                             "tagged_at": when, "release_kind": kind})
    out.repo.update(release_tags=len(kinds), follows_sprint_calendar=activity.follows_calendar(kinds))


def scan_repos(config: ReposConfig, out: Path, options: ScanOptions = ScanOptions(), *,
               surveys: dict[str, Survey] | None = None) -> ScanResult:
    """Scan every repository of repos.yaml (plus the CodeCommit ones the crawl listed) into the day's snapshot.

    `surveys` (team -> sprint calendar) decide which release tags are sprint-end.
    """
    started = datetime.now(UTC)
    day = options.day or started.date().isoformat()
    base_dir = Path(options.base_dir or Path.cwd())
    cache_dir = Path(options.cache_dir) if options.cache_dir else base_dir / config.cache_dir
    entries = list(config.repositories)
    errors: list[dict[str, Any]] = []
    if config.discover.codecommit is not None:
        found, cc_errors = codecommit.discover(config.discover.codecommit, Path(out), day=day,
                                               known={e.name for e in entries})
        entries += found
        errors += cc_errors
    results = _run(entries, options.workers or config.workers, options.progress, base_dir=base_dir,
                   cache_dir=cache_dir, surveys=surveys or {}, now=started, git_timeout=options.git_timeout)
    tables: dict[str, list[dict[str, Any]]] = {"repos": [], "repo_traits": [], "repo_activity": [],
                                                "errors": errors}
    for res in results:
        tables["repos"].append(res.repo)
        tables["repo_traits"] += res.traits
        tables["repo_activity"] += res.activity
        tables["errors"] += res.errors
    failed = sum(r.repo["status"] == "failed" for r in results)
    manifest = {"started": started.isoformat(timespec="seconds"), "repos": len(results), "repos_failed": failed,
                "rules_version": RULES_VERSION, "link_pipelines": config.discover.from_pipelines}
    snapshots_dir(out).mkdir(parents=True, exist_ok=True)
    path = write_snapshot(out, day, tables, manifest, section="scan")
    return ScanResult(path, len(results) - failed, failed, len(tables["errors"]))


def _run(entries: list[RepoEntry], workers: int, progress: bool, **kw: Any) -> list[RepoScan]:
    results: list[RepoScan] = []
    fancy = progress and console.is_terminal
    bar = None
    if fancy:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn("scan"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       TextColumn("{task.description}"), console=console, transient=True)
        bar.start()
        task = bar.add_task("", total=len(entries))
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="scan") as pool:
            futures = {pool.submit(scan_one, e, **kw): (e, time.monotonic()) for e in entries}
            for n, fut in enumerate(as_completed(futures), 1):
                entry, t0 = futures[fut]
                res = fut.result()
                results.append(res)
                if bar is not None:
                    bar.update(task, advance=1, description=entry.name)
                elif progress:
                    console.print(f"scan {n}/{len(entries)} {entry.name}: {res.repo['status']}",
                                  highlight=False, soft_wrap=True)
    finally:
        if bar is not None:
            bar.stop()
    results.sort(key=lambda r: r.repo["repo"])
    return results


# ---- CLI wrappers --------------------------------------------------------------------------------


def scan_command(repos_file: Path, out: Path, options: ScanOptions = ScanOptions(),
                 survey_dir: Path | None = None) -> ScanResult:
    """`cicd-audit scan`: relative paths of repos.yaml resolve beside it, surveys default to survey/ there."""
    config = load_repos(repos_file)
    base = Path(repos_file).resolve().parent
    survey_dir = survey_dir or (base / "survey" if (base / "survey").is_dir() else None)
    surveys = load_surveys(survey_dir) if survey_dir else {}
    result = scan_repos(config, Path(out), replace(options, base_dir=base), surveys=surveys)
    console.print(f"scanned {result.repos_ok + result.repos_failed} repositories: {result.repos_ok} ok, "
                  f"{result.repos_failed} failed, {result.errors} error rows -> {result.snapshot_dir}",
                  highlight=False, soft_wrap=True)
    return result


def scan_path_command(path: Path, as_json: bool = False) -> None:
    import click

    found = detect_path(path)
    if as_json:
        click.echo(json.dumps(found, indent=2, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=str(path))
    for col in ("family", "value", "evidence"):
        table.add_column(col)
    for fam in TRAIT_FAMILIES:
        for value in found[fam]:
            table.add_row(fam, value, ", ".join(found["evidence"][f"{fam}:{value}"][:3]))
    Console().print(table)
