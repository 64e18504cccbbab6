"""Snapshot store: the table declarations and atomic, dated parquet snapshots read through DuckDB."""

from audit.store.schema import TABLES, Column, Table, empty_frame, to_arrow
from audit.store.snapshots import (
    Snapshot,
    SnapshotWriter,
    complete_snapshots,
    latest_snapshot,
    open_duckdb,
    previous_snapshot,
    read_manifest,
    write_snapshot,
)

__all__ = sorted([
    "TABLES", "Column", "Table", "empty_frame", "to_arrow", "Snapshot", "SnapshotWriter",
    "complete_snapshots", "latest_snapshot", "open_duckdb", "previous_snapshot", "read_manifest",
    "write_snapshot",
])
