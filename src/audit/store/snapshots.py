"""Dated snapshots: written once, atomically, read in place by DuckDB.

Layout under a root (default `inventory/`):

    snapshots/<YYYY-MM-DD>/<table>.parquet    complete tables
    snapshots/<YYYY-MM-DD>/manifest.json      written last; `"complete": true` marks the snapshot
    snapshots/<YYYY-MM-DD>/analysis/*.parquet derived tables (recomputable, swapped atomically too)
    snapshots/.staging-<YYYY-MM-DD>/          a crawl in progress: per-account parts, resumable

A snapshot directory only ever appears by renaming a fully written staging directory (an atomic
exchange when it replaces the same day's snapshot; the primitives are in `audit.store.atomic`), so
a reader never sees half a snapshot, nor none while one is replaced; a killed writer leaves a
staging directory that readers ignore and `SnapshotWriter(resume=True)` continues, and the
`.tmp-*`/`.old-*` leftovers of killed writes are removed by the next write once a day old. Writers take an exclusive lock on `snapshots/` while
they merge and swap, so a crawl and a scan publishing the same day at once both keep their part.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from audit._version import __version__
from audit.errors import SnapshotError
from audit.store.atomic import clean_stale, exclusive, fsync_file, recover, swap_in
from audit.store.outcome import BAD, GOOD, crawl_outcome, is_complete, refusal, snapshot_outcome
from audit.store.schema import TABLES, to_arrow

MANIFEST = "manifest.json"
ANALYSIS = "analysis"
Rows = Iterable[Mapping[str, Any]] | pd.DataFrame | pa.Table


def snapshots_dir(root: str | os.PathLike) -> Path:
    return Path(root) / "snapshots"


def _as_arrow(name: str, rows: Rows) -> pa.Table:
    if isinstance(rows, pa.Table):
        return rows if name not in TABLES else rows.select(TABLES[name].column_names).cast(TABLES[name].schema)
    if name in TABLES:
        return to_arrow(name, rows)
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    return pa.Table.from_pandas(frame, preserve_index=False)


def _write_parquet(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path, compression="zstd")


# An account's parts are Arrow IPC files: a part is written once and read once, by this process,
# before the snapshot's Parquet is written, so Parquet's encoding and compression would be paid
# twice for nothing (measured on a realistic account's 33 tables: ~7 + ~7 ms of CPU instead of
# ~35 + ~30 ms, for ~3x the bytes on disk until the snapshot is published). Parquet parts of a
# staging area an earlier version left are still read, so `--resume` across an upgrade loses nothing.
PART, OLD_PART = ".arrow", ".parquet"


def _write_part(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _read_part(path: Path) -> pa.Table:
    if path.suffix == OLD_PART:
        return pq.ParquetFile(path).read()
    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _read_parts(parts: list[Path]) -> pa.Table:
    """Account parts of one table, concatenated (a 500-account crawl publishes ~17,000 parts)."""
    return pa.concat_tables([_read_part(p) for p in parts])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _date_str(day: date | str) -> str:
    text = day.isoformat() if isinstance(day, date) else str(day)
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise SnapshotError(f"snapshot date must be YYYY-MM-DD, got {text!r}") from exc
    return text


def write_snapshot(root: str | os.PathLike, day: date | str, tables: Mapping[str, Rows],
                   manifest: Mapping[str, Any] | None = None, *, section: str | None = None) -> Path:
    """Write (or extend) the snapshot of `day` atomically and return its directory.

    Tables given replace those of an existing complete snapshot of the same day; the others are
    carried over, so `crawl` and `scan` can each add their part. `errors` is merged by its
    `source` column instead of replaced. `section` names the manifest part this write owns
    ("crawl", "scan"); its `manifest` keys go there.
    """
    return _write(root, day, tables, manifest, section, replace=None)[0]


def _write(root: str | os.PathLike, day: date | str, tables: Mapping[str, Rows], manifest: Mapping[str, Any] | None,
           section: str | None, *, replace: bool | None) -> tuple[Path, str | None]:
    """`write_snapshot`, plus (unless `replace` is None) the outcome check: (directory, why it was kept)."""
    day = _date_str(day)
    final = snapshots_dir(root) / day
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{day}-", dir=final.parent))
    try:
        with exclusive(final.parent):
            kept = _merge_into(staging, final, day, tables, manifest, section, replace)
            clean_stale(final.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if kept:
        shutil.rmtree(staging, ignore_errors=True)
    return final, kept


def _merge_into(staging: Path, final: Path, day: str, tables: Mapping[str, Rows],
                manifest: Mapping[str, Any] | None, section: str | None, replace: bool | None) -> str | None:
    """Write `tables` to staging, carry over the rest of `final`, write the manifest, swap in.

    Returns why nothing was swapped in when a crawl must not replace the day's better snapshot."""
    recover(final, MANIFEST)
    previous = read_manifest(final) if (final / MANIFEST).exists() else {}
    if replace is not None:
        kept = refusal(previous, (manifest or {}).get("outcome"), replace=replace)
        if kept:
            return kept
    new = {name: _as_arrow(name, rows) for name, rows in tables.items()}
    if "errors" in new and (final / "errors.parquet").exists():
        # a section's new errors replace all of its old ones, even when it has none left
        sources = set(new["errors"].column("source").to_pylist()) | ({section} if section else set())
        kept_errors = pq.read_table(final / "errors.parquet")
        mask = [s not in sources for s in kept_errors.column("source").to_pylist()]
        new["errors"] = pa.concat_tables([kept_errors.filter(pa.array(mask, pa.bool_())), new["errors"]])
    for name, table in new.items():
        _write_parquet(staging / f"{name}.parquet", table)
    if final.exists():
        for item in final.iterdir():
            target = staging / item.name
            if item.name == MANIFEST or item.name.startswith(".") or target.exists():
                continue  # a .tmp-analysis-* of a killed (or running) write_analysis is not carried over
            if item.is_dir():
                shutil.copytree(item, target, copy_function=_link_or_copy)
            else:
                _link_or_copy(item, target)
    _write_manifest(staging, day, previous, dict(manifest or {}), section)
    swap_in(staging, final)
    return None


def _link_or_copy(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _write_manifest(directory: Path, day: str, previous: dict, given: dict, section: str | None) -> None:
    manifest = dict(previous)
    if section:
        sections = dict(manifest.get("sections", {}))
        sections[section] = given
        manifest["sections"] = sections
        manifest.setdefault("started", given.get("started", _now()))
        manifest["config_hash"] = given.get("config_hash", manifest.get("config_hash"))
    else:
        manifest.update(given)
        manifest.setdefault("started", _now())
    counts = {}
    errors = 0
    for path in sorted(directory.glob("*.parquet")):
        rows = pq.ParquetFile(path).metadata.num_rows
        counts[path.stem] = rows
        if path.stem == "errors":
            errors = rows
    manifest.pop("outcome", None)
    outcome = snapshot_outcome(manifest)
    if outcome:
        manifest["outcome"] = outcome  # the crawl's, copied up: see audit.store.outcome
    manifest.update(
        snapshot=day, tool_version=__version__, finished=_now(), counts=counts, errors_count=errors,
        complete=is_complete(manifest),
    )
    path = directory / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    fsync_file(path)


def write_analysis(snapshot_dir: str | os.PathLike, tables: Mapping[str, Rows]) -> Path:
    """Replace the derived tables beside a snapshot (`<date>/analysis/`), atomically."""
    final = Path(snapshot_dir) / ANALYSIS
    staging = Path(tempfile.mkdtemp(prefix=".tmp-analysis-", dir=snapshot_dir))
    try:
        for name, rows in tables.items():
            _write_parquet(staging / f"{name}.parquet", _as_arrow(name, rows))
        with exclusive(Path(snapshot_dir).parent):  # a same-day write_snapshot carries analysis/ over
            recover(final)
            swap_in(staging, final)
            clean_stale(Path(snapshot_dir))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


@dataclass
class SnapshotWriter:
    """Streams rows per account into a resumable staging area, then publishes one snapshot.

    Each finished account leaves `parts/<table>/<account>.arrow` files and a `done/<account>`
    marker; memory holds one account at a time. `resume=True` keeps an existing staging area and
    `done_accounts` tells the crawler what to skip.
    """

    root: Path
    day: str
    resume: bool = False
    staging: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.day = _date_str(self.day)
        self.staging = snapshots_dir(self.root) / f".staging-{self.day}"
        if self.staging.exists() and not self.resume:
            shutil.rmtree(self.staging)
        (self.staging / "done").mkdir(parents=True, exist_ok=True)

    @property
    def done_accounts(self) -> set[str]:
        return {p.name for p in (self.staging / "done").iterdir()}

    def write_account(self, account_id: str, tables: Mapping[str, Rows]) -> None:
        """Persist one account's rows; the `done` marker is written last, so a kill here redoes it.

        A table without rows gets no part (creating a file costs ~1 ms of kernel CPU on ext4, and most
        of an account's ~33 tables are often empty). Parts a killed earlier attempt left for tables
        this attempt has no rows for are removed, so the account's published rows are this attempt's only."""
        given = {name: _as_arrow(name, rows) for name, rows in tables.items()}
        given = {name: table for name, table in given.items() if table.num_rows}
        for stale in self._parts("*", account_id):
            if stale.parent.name not in given or stale.suffix == OLD_PART:
                stale.unlink()
        for name, table in given.items():
            part_dir = self.staging / "parts" / name
            part_dir.mkdir(parents=True, exist_ok=True)
            tmp = part_dir / f".{account_id}.tmp"
            _write_part(tmp, table)
            os.replace(tmp, part_dir / f"{account_id}{PART}")
        (self.staging / "done" / account_id).write_text(_now())

    def read_part(self, name: str) -> pa.Table:
        """All finished parts of one table (used for cross-account summaries before publishing)."""
        return self._finished(name, self.done_accounts)

    def _finished(self, name: str, done: set[str]) -> pa.Table:
        """The parts of table `name` of the accounts in `done`, concatenated (empty: its schema)."""
        parts = [p for p in sorted(self._parts(name, "*")) if p.stem in done]
        return _read_parts(parts) if parts else _as_arrow(name, [])

    def _parts(self, table: str, account: str) -> list[Path]:
        """Part files, in either format, of `table` and `account` (each may be a glob pattern); one
        walk of the parts directory (a killed write's `.<account>.tmp` does not match)."""
        return [p for p in (self.staging / "parts").glob(f"{table}/{account}.*") if p.suffix in (PART, OLD_PART)]

    def publish(self, manifest: Mapping[str, Any], *, section: str = "crawl",
                extra: Mapping[str, Rows] | None = None, replace: bool = False) -> Publication:
        """Concatenate the parts of every declared crawl table and publish the snapshot atomically.

        The crawl's outcome (from the accounts' statuses) goes into the manifest; a crawl that may
        not replace the day's better snapshot (see `audit.store.outcome.refusal`) is not published
        and keeps its staging area, so `--resume --replace` can still publish it."""
        done = self.done_accounts
        names = {p.name for p in (self.staging / "parts").glob("*") if p.is_dir()}
        names |= {t.name for t in TABLES.values() if t.source == "crawl"}
        tables: dict[str, Rows] = {}
        for name in sorted(names):
            tables[name] = self._finished(name, done)
        tables.update(extra or {})
        published = publish_crawl(self.root, self.day, tables, manifest, section=section, replace=replace)
        if published.published:
            shutil.rmtree(self.staging, ignore_errors=True)
        return published


def publish_crawl(root: str | os.PathLike, day: str, tables: Mapping[str, Rows], manifest: Mapping[str, Any], *,
                  section: str = "crawl", replace: bool = False) -> Publication:
    """Publish a crawl's tables with its outcome (from the accounts' statuses) in its manifest
    section, unless the day's better snapshot must be kept (`audit.store.outcome.refusal`)."""
    accounts = tables.get("accounts")
    statuses = _as_arrow("accounts", accounts).column("status").to_pylist() if accounts is not None else []
    outcome = crawl_outcome(s or "ok" for s in statuses)  # a row without status was not a failure
    path, kept = _write(root, day, tables, {**manifest, "outcome": outcome}, section, replace=replace)
    return Publication(path, outcome, published=not kept, kept=kept)


@dataclass(frozen=True)
class Publication:
    """What `SnapshotWriter.publish` did: the day's snapshot directory, the crawl's outcome, and
    why the day's existing snapshot was kept instead (None when this crawl was published)."""

    path: Path
    outcome: str
    published: bool
    kept: str | None = None


# ---- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """A complete snapshot directory."""

    path: Path

    @property
    def date(self) -> str:
        return self.path.name

    @property
    def manifest(self) -> dict[str, Any]:
        return read_manifest(self.path)

    @property
    def outcome(self) -> str | None:
        """The crawl's outcome (`ok`, `partial`, `all-failed`, `empty`); None for a scan-only snapshot."""
        return snapshot_outcome(self.manifest)

    @property
    def good(self) -> bool:
        """Whether it holds AWS data worth comparing with (outcome `ok` or `partial`)."""
        return self.outcome in GOOD

    def tables(self) -> list[str]:
        return sorted(p.stem for p in self.path.glob("*.parquet"))

    def analysis_tables(self) -> list[str]:
        return sorted(p.stem for p in (self.path / ANALYSIS).glob("*.parquet"))

    def table_paths(self) -> dict[str, Path]:
        """Every table this snapshot holds, crawl/scan and analysis alike, by name."""
        return {p.stem: p for p in [*sorted(self.path.glob("*.parquet")),
                                    *sorted((self.path / ANALYSIS).glob("*.parquet"))]}

    def table(self, name: str) -> pd.DataFrame:
        """One table as a DataFrame; a declared table missing from this snapshot comes back empty."""
        for candidate in (self.path / f"{name}.parquet", self.path / ANALYSIS / f"{name}.parquet"):
            if candidate.exists():
                return pq.read_table(candidate).to_pandas()
        if name in TABLES:
            return to_arrow(name, []).to_pandas()
        raise SnapshotError(f"snapshot {self.date} has no table {name!r}")

    def account_rows(self, name: str, account_id: str) -> list[dict[str, Any]]:
        """One account's rows of one crawl table, as dicts (none when the table is absent): what a
        crawl reuses from its previous snapshot. Columns an older snapshot lacks are simply missing."""
        path = self.path / f"{name}.parquet"
        if not path.is_file():
            return []
        try:
            return pq.read_table(path, filters=[("account_id", "=", account_id)]).to_pylist()
        except (OSError, pa.ArrowException):  # unreadable: the crawl reads AWS again
            return []

    def connect(self) -> duckdb.DuckDBPyConnection:
        return open_duckdb(self)


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    try:
        return json.loads((Path(path) / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"{path}: no readable {MANIFEST} ({exc})") from exc


def _is_complete(path: Path) -> bool:
    try:
        return path.is_dir() and not path.name.startswith(".") and read_manifest(path).get("complete") is True
    except SnapshotError:
        return False


def _is_published(path: Path) -> bool:
    """Complete, or whole but failed: published by a crawl in which every account failed."""
    try:
        return _is_complete(path) or (not path.name.startswith(".") and snapshot_outcome(read_manifest(path)) in BAD)
    except SnapshotError:
        return False


def complete_snapshots(root: str | os.PathLike) -> list[Snapshot]:
    """Complete snapshots, oldest first; staging and temp directories are never listed."""
    base = snapshots_dir(root)
    if not base.is_dir():
        return []
    return [Snapshot(p) for p in sorted(base.iterdir()) if _is_complete(p)]


def latest_snapshot(root: str | os.PathLike) -> Snapshot:
    snaps = complete_snapshots(root)
    if not snaps:
        raise SnapshotError(f"no complete snapshot under {snapshots_dir(root)}")
    return snaps[-1]


def previous_snapshot(root: str | os.PathLike, before: str | Snapshot | None = None) -> Snapshot | None:
    """The newest complete snapshot strictly older than `before` (default: the latest)."""
    snaps = complete_snapshots(root)
    if not snaps:
        return None
    cutoff = (before.date if isinstance(before, Snapshot) else before) or snaps[-1].date
    older = [s for s in snaps if s.date < cutoff]
    return older[-1] if older else None


def last_good_snapshot(root: str | os.PathLike, before: str | Snapshot | None = None) -> Snapshot | None:
    """The newest complete snapshot with good AWS data (see `Snapshot.good`), strictly older than
    `before` when given: what drift compares with when the previous snapshot is empty or failed."""
    cutoff = before.date if isinstance(before, Snapshot) else before
    good = [s for s in complete_snapshots(root) if s.good and (cutoff is None or s.date < cutoff)]
    return good[-1] if good else None


def open_snapshot(root_or_path: str | os.PathLike, day: str | None = None) -> Snapshot:
    """A snapshot by directory, or by root + date (default latest).

    Named explicitly (a directory or a date), a snapshot whose crawl read no AWS data opens too:
    `Snapshot.outcome` says so. The listings (latest, previous, complete_snapshots) skip it."""
    path = Path(root_or_path)
    if (path / MANIFEST).exists():
        if not _is_published(path):
            raise SnapshotError(f"{path} is not a complete snapshot")
        return Snapshot(path)
    if day:
        candidate = snapshots_dir(path) / day
        if not _is_published(candidate):
            raise SnapshotError(f"no complete snapshot for {day} under {snapshots_dir(path)}")
        return Snapshot(candidate)
    return latest_snapshot(path)


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_duckdb(snapshot: Snapshot | str | os.PathLike | None = None, *, root: str | os.PathLike | None = None,
                con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per table.

    Given a snapshot: views over its parquet files (analysis tables included). Given `root=`:
    views over *all* complete snapshots, crawl and analysis tables alike, each with a leading
    `snapshot_date` column.
    Given a snapshot, declared tables missing from it get an empty view with the right columns,
    so SQL rules never fail on a table a run did not produce; given `root=`, only tables that
    some snapshot has get a view.
    """
    con = con or duckdb.connect()
    if root is not None:
        snaps = [(s, s.table_paths()) for s in complete_snapshots(root)]
        for name in sorted({t for _, paths in snaps for t in paths}):
            parts = [f"SELECT DATE {_sql_str(s.date)} AS snapshot_date, * FROM read_parquet({_sql_str(str(paths[name]))})"
                     for s, paths in snaps if name in paths]
            con.execute(f'CREATE OR REPLACE VIEW "{name}" AS ' + " UNION ALL BY NAME ".join(parts))
        return con
    if snapshot is None:
        raise SnapshotError("open_duckdb needs a snapshot or root=")
    snap = snapshot if isinstance(snapshot, Snapshot) else open_snapshot(snapshot)
    seen = snap.table_paths()
    for name, path in seen.items():
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM read_parquet({_sql_str(str(path))})')
    for name in TABLES:
        if name not in seen:
            con.register(f"_empty_{name}", to_arrow(name, []))
            con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM "_empty_{name}"')
    return con
