"""Snapshot store: the table declarations and atomic, dated parquet snapshots read through DuckDB.

A crawl's outcome and when it may replace a snapshot: `audit.store.outcome`; the atomic filesystem
primitives the store and the report share: `audit.store.atomic`.
"""

from audit.store.schema import TABLES, Column, Table, empty_frame, to_arrow
from audit.store.snapshots import (
    Publication,
    Snapshot,
    SnapshotWriter,
    complete_snapshots,
    last_good_snapshot,
    latest_snapshot,
    open_duckdb,
    open_snapshot,
    previous_snapshot,
    read_manifest,
    write_analysis,
    write_snapshot,
)

__all__ = [
    "TABLES",
    "Column",
    "Publication",
    "Snapshot",
    "SnapshotWriter",
    "Table",
    "complete_snapshots",
    "empty_frame",
    "last_good_snapshot",
    "latest_snapshot",
    "open_duckdb",
    "open_snapshot",
    "previous_snapshot",
    "read_manifest",
    "to_arrow",
    "write_analysis",
    "write_snapshot",
]
