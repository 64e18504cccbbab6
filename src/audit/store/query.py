"""`cicd-audit query`: ad-hoc SQL over one snapshot or all of them, crawl and analysis tables alike.

The SQL is typed by a user, so it runs where catalog rules run (`audit.store.sandbox`): one SELECT
that reads only snapshot tables, copied into a locked in-memory DuckDB (no file, network, extension
or setting, a time limit, a row cap). It cannot write anything, and a bad query is a ConfigError
(exit 2) that names the line and column before anything is printed.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table as RichTable

from audit.errors import ConfigError
from audit.store.sandbox import MAX_ROWS, Rule, Sandbox, check_static
from audit.store.schema import TABLES, to_arrow
from audit.store.snapshots import MANIFEST, Snapshot, complete_snapshots, open_snapshot

FORMATS = ("table", "csv", "json")
DEFAULT_SECONDS = 120.0


@dataclass(frozen=True)
class Query(Rule):
    """A user's query: errors say where in the SQL, not which catalog item."""

    time_limit_setting: ClassVar[str] = "--time-limit"

    def error(self, text: str, offset: int | None = None) -> ConfigError:
        where = ""
        if offset is not None and 0 <= offset <= len(self.sql):
            before = self.sql[:offset]
            where = f" (line {before.count(chr(10)) + 1}, column {offset - (before.rfind(chr(10)) + 1) + 1})"
        return ConfigError(f"query: {text}{where}")


def _dated(snap: Snapshot, table: pa.Table) -> pa.Table:
    """`table` with a leading snapshot_date: the date the snapshot directory stands for, over any
    column of that name the table carries itself."""
    day = date.fromisoformat(snap.date)
    if "snapshot_date" in table.column_names:
        table = table.drop_columns(["snapshot_date"])
    return table.add_column(0, "snapshot_date", pa.array([day] * table.num_rows, pa.date32()))


def query_tables(snaps: Sequence[Snapshot], names: frozenset[str], *, dated: bool) -> dict[str, pa.Table]:
    """The tables the query reads; over several snapshots one table each, with `snapshot_date` first.

    A declared table that no snapshot holds is empty with its declared columns, so a query over a
    scan-only week does not fail on a crawl table."""
    out: dict[str, pa.Table] = {}
    paths = [(s, s.table_paths()) for s in snaps]
    for name in names:
        parts = [_dated(s, pq.read_table(p[name])) if dated else pq.read_table(p[name]) for s, p in paths
                 if name in p]
        if parts:
            out[name] = pa.concat_tables(parts, promote_options="permissive")
        elif name in TABLES:
            empty = to_arrow(name, [])
            out[name] = empty.add_column(0, "snapshot_date", pa.array([], pa.date32())) if dated else empty
    return out


def run_query(sql: str, where: str | os.PathLike, *, day: str | None = None, all_snapshots: bool = False,
              seconds: float = DEFAULT_SECONDS, max_rows: int = MAX_ROWS) -> pa.Table:
    """The query's result over one snapshot (a directory, or root + date, default latest) or all."""
    query = Query("query", sql)
    names = check_static(query)
    if all_snapshots:
        root = Path(where).parent.parent if (Path(where) / MANIFEST).exists() else Path(where)
        snaps = complete_snapshots(root)
        if not snaps:
            raise ConfigError(f"query: no complete snapshot under {where}")
    else:
        snaps = [open_snapshot(where, day)]
    with Sandbox(query_tables(snaps, names, dated=all_snapshots), seconds=seconds, max_rows=max_rows) as box:
        return box.rows(query)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, default=_plain, ensure_ascii=False)
    return str(_plain(value))


def write_result(table: pa.Table, fmt: str, out: IO[str]) -> None:
    """Print `table` as a rich table, CSV (nested values as JSON) or one JSON array of objects."""
    rows = table.to_pylist()
    if fmt == "json":
        json.dump(rows, out, default=_plain, ensure_ascii=False, indent=1)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.column_names)
        writer.writerows([_cell(r[c]) for c in table.column_names] for r in rows)
    else:
        view = RichTable(caption=f"{len(rows)} rows", caption_justify="left")
        for name in table.column_names:
            view.add_column(name, overflow="fold")
        for r in rows:
            view.add_row(*(_cell(r[c]) for c in table.column_names))
        wide = None if out.isatty() else 200  # piped or redirected: no terminal width to fit
        Console(file=out, soft_wrap=False, width=wide).print(view, markup=False, highlight=False)


def query_command(sql: str, where: str | os.PathLike, *, day: str | None, all_snapshots: bool, fmt: str,
                  seconds: float = DEFAULT_SECONDS) -> None:
    """CLI: run the query (`-` reads it from stdin) and print the result to stdout."""
    if sql == "-":
        sql = sys.stdin.read()
    write_result(run_query(sql, where, day=day, all_snapshots=all_snapshots, seconds=seconds), fmt, sys.stdout)
