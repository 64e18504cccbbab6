"""The names the package exports are a promise: changing them is a deliberate act."""

import audit
import audit.pipeline
import audit.store


def test_package_exports() -> None:
    assert audit.__all__ == ["AuditError", "CollectionError", "ConfigError", "SnapshotError",
                             "__version__"]


def test_store_exports() -> None:
    assert audit.store.__all__ == [
        "TABLES", "Column", "Publication", "Snapshot", "SnapshotWriter", "Table", "complete_snapshots",
        "empty_frame", "last_good_snapshot", "latest_snapshot", "open_duckdb", "open_snapshot", "previous_snapshot", "read_manifest", "to_arrow",
        "write_analysis", "write_snapshot"]
    for name in audit.store.__all__:
        assert hasattr(audit.store, name), name


def test_every_table_column_is_documented_once() -> None:
    for table in audit.store.TABLES.values():
        names = table.column_names
        assert len(names) == len(set(names)), table.name
        assert table.doc and table.source in {"crawl", "scan", "analysis"}


def test_pipeline_exports() -> None:
    assert audit.pipeline.__all__ == [
        "AnalyzeOptions", "CrawlOptions", "Inputs", "ReportOptions", "ScanOptions", "WeeklyOptions",
        "WeeklyTimings", "analyze", "crawl", "refresh", "report", "scan", "today", "weekly"]
    for name in audit.pipeline.__all__:
        assert hasattr(audit.pipeline, name), name
