"""Catalog rules run here: a locked in-memory DuckDB holding copies of the tables a rule may read.

Teams edit the rules (`applies_to` in catalog.yaml) without touching code, so a rule is untrusted
SQL: it must not read a file, the environment, another inventory or the network, install or load
an extension, change a setting, or run forever. Two layers:

    check_static(rule) static, before anything runs (`validate` and `analyze`): exactly one SELECT;
                      FROM names only tables, the rule's own CTEs and the table functions in
                      TABLE_FUNCTIONS (so no read_text/read_csv/read_parquet/glob/query/..., no
                      `FROM '/path'` or `FROM 'https://...'`); the error points at the rule's line.
    Sandbox(tables)   run time: the tables are copied into an in-memory database first, then
                      external access (files, network), extension auto-install/auto-load, spilling
                      to disk and every further SET are switched off (`lock_configuration`). Each
                      rule runs under a time limit (interrupted from a timer thread), a memory limit
                      on top of the copied tables, and a row cap.

Anything a rule does wrong is a ConfigError naming the catalog file, the rule's line and the item
id (exit code 2), raised before any analysis table is written.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import duckdb
import pandas as pd
import pyarrow as pa

from audit.errors import ConfigError
from audit.store.schema import TABLES, to_arrow

ANALYSIS_VIEWS = ("units", "delivery")
RULE_TABLES = tuple(t.name for t in TABLES.values() if t.source in ("crawl", "scan")) + ANALYSIS_VIEWS
TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})  # compute only, read nothing
DEFAULT_SECONDS = 30.0
MAX_ROWS = 1_000_000
RULE_MEMORY_BYTES = 1 << 30  # per connection, on top of the copied tables

# set before any table exists; autoinstall/autoload off so nothing is ever fetched, even at `validate`
_CONNECT = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
            "allow_community_extensions": False, "allow_unsigned_extensions": False}
# table refs a rule may use (other *_NODE entries are query nodes: SELECT, UNION, recursive CTE)
_REFS = frozenset({"BASE_TABLE", "TABLE_FUNCTION", "JOIN", "SUBQUERY", "EXPRESSION_LIST", "EMPTY", "PIVOT"})
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Rule:
    """One item's rule and where it was written, so every error can name file, line and item."""

    item_id: str
    sql: str
    file: str | None = None
    line: int | None = None
    time_limit_setting: ClassVar[str] = "catalog.yaml rule_time_limit_seconds"

    def error(self, text: str, offset: int | None = None) -> ConfigError:
        where = ""
        if offset is not None and 0 <= offset <= len(self.sql) and self.sql.count("\n") > 1:
            where = f" (rule line {self.sql[:offset].count(chr(10)) + 1})"
        return ConfigError(f"item {self.item_id!r}: applies_to {text}{where}", file=self.file, line=self.line,
                           field="applies_to")


_SHOWN_LINE = re.compile(r"^LINE (\d+): (.*)\n( *)\^", re.M)


def error_offset(exc: BaseException, sql: str, shift: int = 0) -> int | None:
    """Where in `sql` DuckDB's error points (its "LINE n:" excerpt and caret), as an offset.

    `shift` is the length of text run before `sql` on its first line (a wrapping SELECT). DuckDB shows
    long lines as a window starting with "...": the column is then found by the excerpt's text.
    """
    found = _SHOWN_LINE.search(str(exc))
    if not found:
        return None
    number, shown, pad = int(found[1]), found[2], len(found[3]) - len(f"LINE {found[1]}: ")
    lines = sql.split("\n")
    if not 1 <= number <= len(lines):
        return None
    line = lines[number - 1]
    if shown.startswith("..."):
        base = line.find(shown[3:].removesuffix("...")[:20])
        column = base + pad - 3 if base >= 0 else 0
    else:
        column = pad - (shift if number == 1 else 0)
    return sum(len(x) + 1 for x in lines[:number - 1]) + max(0, min(column, len(line)))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _nodes(tree: Any) -> Iterator[dict]:
    """Every dict in a json_serialize_sql tree, depth first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _literals(node: Any) -> list[str]:
    return [n["literal"]["text"] for n in _nodes(node)
            if n.get("type") == "VALUE_CONSTANT" and isinstance(n.get("literal"), dict)
            and n["literal"].get("kind") == "STRING"]


def check_static(rule: Rule) -> frozenset[str]:
    """The static checks: one SELECT that reads only tables, its CTEs and compute-only table functions.

    Returns the names of the tables it reads (CTEs excluded), so only those need copying in.
    """
    try:
        statements = duckdb.extract_statements(rule.sql)
    except duckdb.Error as exc:
        raise rule.error(f"SQL does not parse: {_first_line(exc)}", error_offset(exc, rule.sql)) from None
    if len(statements) != 1:
        raise rule.error(f"must be exactly one SELECT statement (found {len(statements)} statements)")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise rule.error(f"must be exactly one SELECT statement, not {statements[0].type.name} "
                         "(ATTACH, COPY, INSTALL, LOAD, PRAGMA, SET, EXPORT, IMPORT, CALL are refused)")
    con = duckdb.connect(config=dict(_CONNECT, enable_external_access=False))
    try:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [rule.sql]).fetchone()[0])
    finally:
        con.close()
    if tree.get("error"):
        raise rule.error(f"SQL does not parse: {tree.get('error_message', 'unknown error')}")
    nodes = list(_nodes(tree))
    ctes = {entry["key"] for n in nodes if isinstance(n.get("cte_map"), dict) for entry in n["cte_map"]["map"]}
    read = set()
    for node in nodes:
        kind = node.get("type")
        if "sample" not in node or not isinstance(kind, str) or kind.endswith("_NODE"):
            continue
        at = node.get("query_location")
        if kind not in _REFS:
            raise rule.error(f"uses {kind.replace('_', ' ').lower()} in FROM, which rules may not", at)
        if kind == "TABLE_FUNCTION":
            name = str((node.get("function") or {}).get("function_name", "")).lower()
            if name not in TABLE_FUNCTIONS:
                urls = [t for t in _literals(node) if "://" in t]
                what = f" on {urls[0]!r}" if urls else ""
                raise rule.error(f"calls table function {name}(){what}: rules may read only the snapshot's "
                                 f"tables and the analysis views (table functions allowed: "
                                 f"{', '.join(sorted(TABLE_FUNCTIONS))})", at)
        if kind == "BASE_TABLE":
            name = str(node.get("table_name", ""))
            if name not in ctes and name not in RULE_TABLES and not _IDENT.match(name):
                raise rule.error(f"reads {name!r}, a file or URL: rules may read only the snapshot's tables "
                                 "and the analysis views", at)
            if name not in ctes:
                read.add(name)
    return frozenset(read)


class Sandbox:
    """A locked in-memory DuckDB with a copy of `tables`; run rules with `columns()` and `hits()`."""

    def __init__(self, tables: Mapping[str, pa.Table], *, seconds: float = DEFAULT_SECONDS,
                 max_rows: int = MAX_ROWS, memory_bytes: int = RULE_MEMORY_BYTES) -> None:
        self.seconds, self.max_rows = float(seconds), int(max_rows)
        self._con = duckdb.connect(":memory:", config=dict(_CONNECT))
        self._lock = threading.Lock()
        self._running = False
        try:
            for name, table in tables.items():
                self._con.register("_copy", table)
                self._con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "_copy"')
                self._con.unregister("_copy")
            used = self._con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()[0]
            self.memory_bytes = int(used) + int(memory_bytes)
            for setting in ("SET temp_directory = ''", "SET python_enable_replacements = false",
                            f"SET memory_limit = '{self.memory_bytes}B'", "SET enable_external_access = false",
                            "SET lock_configuration = true"):
                self._con.execute(setting)
        except BaseException:
            self._con.close()
            raise

    @classmethod
    def empty(cls, *, seconds: float = DEFAULT_SECONDS) -> Sandbox:
        """Every table a rule may read, empty (what `validate` dry-runs rules against)."""
        return cls({name: to_arrow(name, []) for name in RULE_TABLES}, seconds=seconds)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _stop(self) -> None:
        with self._lock:
            if self._running:
                self._con.interrupt()

    @contextmanager
    def _limited(self, rule: Rule, shift: int = 0) -> Iterator[None]:
        """Run the block under the time limit; every DuckDB failure becomes the rule's ConfigError."""
        timer = threading.Timer(self.seconds, self._stop)
        timer.daemon = True
        with self._lock:
            self._running = True
        timer.start()
        try:
            yield
        except duckdb.Error as exc:
            raise self._explain(rule, exc, shift) from None
        finally:
            with self._lock:
                self._running = False
            timer.cancel()

    def _explain(self, rule: Rule, exc: duckdb.Error, shift: int = 0) -> ConfigError:
        if isinstance(exc, duckdb.InterruptException):
            return rule.error(f"ran longer than the time limit of {self.seconds:g} s ({rule.time_limit_setting})")
        if isinstance(exc, duckdb.OutOfMemoryException):
            return rule.error(f"needed more than the rule memory limit of {self.memory_bytes / 2**30:.1f} GiB")
        if isinstance(exc, duckdb.PermissionException):
            return rule.error("tried to read a file, the network or an extension, which rules may not "
                              f"(only the snapshot's tables and the analysis views): {_first_line(exc)}")
        return rule.error(f"SQL failed: {_first_line(exc)}", error_offset(exc, rule.sql, shift))

    def columns(self, rule: Rule) -> list[str]:
        """The rule's result columns (run with LIMIT 0, under the time limit)."""
        wrap = "SELECT * FROM ("
        with self._limited(rule, len(wrap)):
            cur = self._con.execute(f"{wrap}{rule.sql}) AS rule LIMIT 0")
            return [d[0] for d in cur.description]

    def hits(self, rule: Rule) -> pd.DataFrame:
        """Distinct (account_id, unit_id) the rule returns, at most `max_rows` of them."""
        wrap = ("SELECT DISTINCT CAST(account_id AS VARCHAR) AS account_id, CAST(unit_id AS VARCHAR) AS unit_id "
                "FROM (")
        with self._limited(rule, len(wrap)):
            got = self._con.execute(f"{wrap}{rule.sql}) AS rule LIMIT {self.max_rows + 1}").df()
        if len(got) > self.max_rows:
            raise rule.error(f"returned more than {self.max_rows:,} rows, the cap for one rule; narrow it")
        return got

    def rows(self, rule: Rule) -> pa.Table:
        """Everything the SQL returns in its own order, at most `max_rows` rows (the `query` command)."""
        batches, count = [], 0
        prepare = "PREPARE user_query AS "  # binds first, so a bad name is reported with its line and column
        with self._limited(rule, len(prepare)):
            self._con.execute(prepare + rule.sql)
            reader = self._con.sql("EXECUTE user_query").to_arrow_reader(10_000)
            for batch in reader:
                batches.append(batch)
                count += batch.num_rows
                if count > self.max_rows:
                    raise rule.error(f"returned more than {self.max_rows:,} rows; narrow it or add LIMIT")
            return pa.Table.from_batches(batches, schema=reader.schema)
