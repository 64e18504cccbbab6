"""Which rows a faulted crawl lost: two snapshots compared table by table, by row identity.

Rows are identified by account, region and their ARN or natural key (execution id, build id, stack
and logical id, ...), not by value: a failed tag or template read may leave a column unknown, but
must not drop the row. Findings also name their collector (several collectors share that table).
Used by the fault-isolation tests and bench/faults.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audit.store.schema import TABLES
from audit.store.snapshots import open_snapshot

# What identifies a row: the first of these a table has (with account and region).
_IDENTITY = (("arn",), ("execution_id",), ("build_id",), ("deployment_id",), ("stack_name", "logical_id"),
             ("pipeline_name", "stage", "action"), ("resource_arn", "kind", "detail"), ("rule_arn", "pipeline_arn"))


def identity_columns(table: str) -> tuple[str, ...]:
    """Columns that identify a row of a crawl table."""
    names = TABLES[table].column_names
    whose = ("collector",) if "collector" in names else ()
    for cols in _IDENTITY:
        if all(c in names for c in cols):
            return (*whose, "account_id", "region", *cols)
    raise ValueError(f"no row identity for table {table}")


@dataclass
class Crawled:
    """A crawl snapshot reduced to what the comparison needs."""

    rows: dict[str, Counter]  # table -> Counter of row identities
    errors: pd.DataFrame
    calls: int

    @classmethod
    def read(cls, snapshot_dir: Path, tables: Iterable[str]) -> Crawled:
        snap = open_snapshot(snapshot_dir)
        rows = {}
        for table in tables:
            df = snap.table(table)
            cols = list(identity_columns(table))
            rows[table] = Counter(tuple(str(v) for v in r) for r in df[cols].itertuples(index=False)) \
                if len(df) else Counter()
        return cls(rows, snap.table("errors"), int(snap.manifest["sections"]["crawl"]["calls"]))


def lost_rows(base: Crawled, other: Crawled, tables: Iterable[str], collector: str | None = None) -> dict[str, int]:
    """table -> rows of `base` missing from `other` (findings: only `collector`'s, when given)."""
    out = {}
    for table in tables:
        rows, kept = base.rows[table], other.rows[table]
        if table == "findings" and collector is not None:
            rows = Counter({k: n for k, n in rows.items() if k[0] == collector})
        missing = sum((rows - kept).values())
        if missing:
            out[table] = missing
    return out
