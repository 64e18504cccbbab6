"""Snapshot store: the table declarations and atomic, dated parquet snapshots read through DuckDB."""

from audit.store.schema import TABLES, Column, Table, empty_frame, to_arrow
from audit.store.snapshots import (
    Snapshot,
    SnapshotWriter,
    complete_snapshots,
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
    "Snapshot",
    "SnapshotWriter",
    "Table",
    "complete_snapshots",
    "empty_frame",
    "latest_snapshot",
    "open_duckdb",
    "open_snapshot",
    "previous_snapshot",
    "read_manifest",
    "to_arrow",
    "write_analysis",
    "write_snapshot",
]
