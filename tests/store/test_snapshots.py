"""The snapshot store: typed round-trips, atomic publication, and survival of killed writers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audit.errors import SnapshotError
from audit.store import TABLES, SnapshotWriter, atomic, write_snapshot
from audit.store import snapshots as store
from audit.store.snapshots import complete_snapshots, latest_snapshot, open_duckdb, previous_snapshot

WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _sample(type_: pa.DataType, i: int):
    if pa.types.is_list(type_):
        return [f"v{i}", "<script>x</script>"]
    if pa.types.is_timestamp(type_):
        return WHEN
    if pa.types.is_boolean(type_):
        return i % 2 == 0
    if pa.types.is_integer(type_):
        return 40 + i
    if pa.types.is_floating(type_):
        return 1.5 + i
    return f"text-{i}-'quoted'"


def _rows(table: str, n: int = 3) -> list[dict]:
    return [{c.name: _sample(c.type, i) for c in TABLES[table].columns} for i in range(n)]


def test_every_declared_table_round_trips_with_its_types(tmp_path: Path) -> None:
    tables = {name: _rows(name) for name in TABLES}
    path = write_snapshot(tmp_path, "2026-11-20", tables, {"config_hash": "abc"}, section="crawl")
    snap = latest_snapshot(tmp_path)
    assert snap.path == path and snap.manifest["complete"] is True
    con = open_duckdb(snap)
    for name, rows in tables.items():
        frame = snap.table(name)
        assert list(frame.columns) == TABLES[name].column_names
        assert len(frame) == len(rows)
        assert pq.read_schema(path / f"{name}.parquet").remove_metadata().equals(TABLES[name].schema), name
        back = con.sql(f'SELECT * FROM "{name}"').fetch_arrow_table()
        assert back.column_names == TABLES[name].column_names
        expected = pa.Table.from_pylist(rows, schema=TABLES[name].schema).to_pylist()
        assert back.cast(TABLES[name].schema).to_pylist() == expected, name
    assert snap.manifest["counts"] == {name: 3 for name in TABLES}


def test_undeclared_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="undeclared columns"):
        write_snapshot(tmp_path, "2026-11-20", {"accounts": [{"account_id": "1", "secret": "x"}]})
    assert complete_snapshots(tmp_path) == []


def test_missing_declared_table_reads_as_empty_view(tmp_path: Path) -> None:
    write_snapshot(tmp_path, "2026-11-20", {"accounts": _rows("accounts")})
    con = open_duckdb(latest_snapshot(tmp_path))
    assert con.execute("SELECT count(*) FROM pipelines").fetchone() == (0,)
    assert latest_snapshot(tmp_path).table("pipelines").empty


def test_scan_extends_crawl_and_errors_merge_by_source(tmp_path: Path) -> None:
    crawl_err = {"source": "crawl", "collector": "ecs", "error_class": "access-denied"}
    write_snapshot(tmp_path, "2026-11-20", {"accounts": _rows("accounts"), "errors": [crawl_err]},
                   {"config_hash": "c1"}, section="crawl")
    scan_err = {"source": "scan", "collector": "repo-a", "error_class": "unreachable"}
    write_snapshot(tmp_path, "2026-11-20", {"repos": _rows("repos", 2), "errors": [scan_err]},
                   {"repos": 2}, section="scan")
    write_snapshot(tmp_path, "2026-11-20", {"errors": [scan_err]}, {"repos": 2}, section="scan")  # re-scan
    snap = latest_snapshot(tmp_path)
    assert len(snap.table("accounts")) == 3 and len(snap.table("repos")) == 2
    assert sorted(snap.table("errors")["source"]) == ["crawl", "scan"]
    assert set(snap.manifest["sections"]) == {"crawl", "scan"} and snap.manifest["errors_count"] == 2


def test_latest_previous_and_all_snapshots_view(tmp_path: Path) -> None:
    for day in ("2026-11-06", "2026-11-13", "2026-11-20"):
        write_snapshot(tmp_path, day, {"accounts": _rows("accounts", 1)})
    (tmp_path / "snapshots" / "2026-11-27").mkdir()  # no manifest: not complete
    assert latest_snapshot(tmp_path).date == "2026-11-20"
    assert previous_snapshot(tmp_path).date == "2026-11-13"
    assert previous_snapshot(tmp_path, "2026-11-13").date == "2026-11-06"
    assert previous_snapshot(tmp_path, "2026-11-06") is None
    con = open_duckdb(root=tmp_path)
    got = con.execute("SELECT CAST(snapshot_date AS VARCHAR), count(*) FROM accounts GROUP BY 1 ORDER BY 1")
    assert got.fetchall() == [("2026-11-06", 1), ("2026-11-13", 1), ("2026-11-20", 1)]


def test_no_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="no complete snapshot"):
        latest_snapshot(tmp_path)


def test_write_that_raises_midway_leaves_previous_snapshot_intact(tmp_path: Path, monkeypatch) -> None:
    write_snapshot(tmp_path, "2026-11-20", {"accounts": _rows("accounts", 2)})
    before = {p.name: p.read_bytes() for p in (tmp_path / "snapshots/2026-11-20").iterdir()}
    real = store._write_parquet
    calls = []

    def failing(path, table):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real(path, table)

    monkeypatch.setattr(store, "_write_parquet", failing)
    with pytest.raises(OSError, match="disk full"):
        write_snapshot(tmp_path, "2026-11-20", {"accounts": _rows("accounts", 5), "pipelines": _rows("pipelines")})
    with pytest.raises(OSError, match="disk full"):
        calls.clear()
        write_snapshot(tmp_path, "2026-11-27", {"accounts": _rows("accounts", 5), "pipelines": _rows("pipelines")})
    after = {p.name: p.read_bytes() for p in (tmp_path / "snapshots/2026-11-20").iterdir()}
    assert after == before
    assert [s.date for s in complete_snapshots(tmp_path)] == ["2026-11-20"]
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == ["2026-11-20"]  # no temp left


def test_leftover_analysis_staging_is_not_carried_over(tmp_path: Path) -> None:
    first = write_snapshot(tmp_path, "2026-11-20", {"accounts": _rows("accounts")})
    leftover = first / ".tmp-analysis-killed"
    leftover.mkdir()
    (leftover / "ranking.parquet").write_bytes(b"half written")
    again = write_snapshot(tmp_path, "2026-11-20", {"pipelines": _rows("pipelines")})
    assert not (again / ".tmp-analysis-killed").exists()
    assert {"accounts", "pipelines"} <= set(latest_snapshot(tmp_path).tables())


def test_concurrent_writers_of_one_day_keep_both_parts(tmp_path: Path, monkeypatch) -> None:
    """crawl and scan publishing the same day at once: the later merge sees the earlier one."""
    real = store._write_manifest
    inside, release = threading.Event(), threading.Event()

    def paused(directory, day, previous, given, section):
        if section == "crawl":
            inside.set()
            release.wait(10)
        real(directory, day, previous, given, section)

    monkeypatch.setattr(store, "_write_manifest", paused)
    crawl = threading.Thread(target=write_snapshot, args=(tmp_path, "2026-11-20", {"accounts": _rows("accounts")},
                                                          {"by": "crawl"}), kwargs={"section": "crawl"})
    crawl.start()
    assert inside.wait(10)
    scan = threading.Thread(target=write_snapshot, args=(tmp_path, "2026-11-20",
                                                         {"repos": _rows("repos")}, {"by": "scan"}),
                            kwargs={"section": "scan"})
    scan.start()
    scan.join(0.5)
    release.set()
    crawl.join(10)
    scan.join(10)
    snap = latest_snapshot(tmp_path)
    assert {"accounts", "repos"} <= set(snap.tables())
    assert set(snap.manifest["sections"]) == {"crawl", "scan"}


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from audit.store import snapshots as store
    root, ready = Path(sys.argv[1]), Path(sys.argv[2])
    real = store._write_parquet
    def slow(path, table):
        real(path, table)
        ready.write_text(str(path))
        time.sleep(60)
    store._write_parquet = slow
    rows = [{"account_id": str(100000000000 + i), "client": f"c{i}", "status": "ok"} for i in range(1000)]
    store.write_snapshot(root, sys.argv[3], {"accounts": rows, "errors": []}, {"config_hash": "new"})
""")


@pytest.mark.parametrize("day", ["2026-11-20", "2026-11-27"], ids=["same-day-rewrite", "new-day"])
def test_sigkilled_writer_leaves_no_complete_looking_partial(tmp_path: Path, day: str) -> None:
    write_snapshot(tmp_path, "2026-11-20", {"accounts": _rows("accounts", 2)}, {"config_hash": "old"})
    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), str(ready), day])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert child.poll() is None, "writer exited early"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert Path(ready.read_text()).exists()  # one parquet file is on disk, the rest is not
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    snaps = complete_snapshots(tmp_path)
    assert [s.date for s in snaps] == ["2026-11-20"]
    assert snaps[0].manifest["config_hash"] == "old"
    assert len(snaps[0].table("accounts")) == 2
    # the killed write's temp dir is hidden (dot-prefixed) and has no manifest
    leftovers = [p for p in (tmp_path / "snapshots").iterdir() if p.name != "2026-11-20"]
    assert leftovers and all(p.name.startswith(".") and not (p / "manifest.json").exists() for p in leftovers)
    # a later successful write of the same day still works
    write_snapshot(tmp_path, day, {"accounts": _rows("accounts", 4)}, {"config_hash": "retry"})
    assert len(latest_snapshot(tmp_path).table("accounts")) == 4


def test_streaming_writer_resumes_and_publishes_only_done_accounts(tmp_path: Path) -> None:
    writer = SnapshotWriter(tmp_path, "2026-11-20")
    writer.write_account("111111111111", {"accounts": [{"account_id": "111111111111", "status": "ok"}],
                                          "pipelines": _rows("pipelines", 2)})
    # a part without its done marker (killed between table files and marker) is ignored
    part = writer.staging / "parts" / "pipelines" / "222222222222.arrow"
    part.write_bytes((writer.staging / "parts" / "pipelines" / "111111111111.arrow").read_bytes())
    assert complete_snapshots(tmp_path) == []  # staging is never a snapshot

    resumed = SnapshotWriter(tmp_path, "2026-11-20", resume=True)
    assert resumed.done_accounts == {"111111111111"}
    resumed.write_account("333333333333", {"accounts": [{"account_id": "333333333333", "status": "partial"}],
                                           "pipelines": _rows("pipelines", 1)})
    path = resumed.publish({"accounts_ok": 1}, section="crawl").path
    snap = latest_snapshot(tmp_path)
    assert snap.path == path and not resumed.staging.exists()
    assert sorted(snap.table("accounts")["account_id"]) == ["111111111111", "333333333333"]
    assert len(snap.table("pipelines")) == 3
    assert len(snap.table("ecs_services")) == 0 and "ecs_services" in snap.tables()  # declared, empty
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["sections"]["crawl"] == {"accounts_ok": 1, "outcome": "ok"}


@pytest.mark.parametrize("redo", [{}, {"pipelines": []}], ids=["no-table", "empty-table"])
def test_redone_account_drops_parts_of_its_killed_attempt(tmp_path: Path, redo: dict) -> None:
    """A killed attempt left a part without its marker; the redo that yields no such table, or the
    table without rows, wins."""
    writer = SnapshotWriter(tmp_path, "2026-11-20")
    writer.write_account("222222222222", {"accounts": [{"account_id": "222222222222", "status": "ok"}],
                                          "pipelines": _rows("pipelines", 2)})
    (writer.staging / "done" / "222222222222").unlink()  # killed before the done marker
    resumed = SnapshotWriter(tmp_path, "2026-11-20", resume=True)
    assert resumed.done_accounts == set()
    # this time the pipelines collector failed: no pipelines rows for the account
    resumed.write_account("222222222222", {"accounts": [{"account_id": "222222222222", "status": "partial"}],
                                           **redo})
    assert list((resumed.staging / "parts" / "pipelines").iterdir()) == []  # the old part went, none came
    path = resumed.publish({}, section="crawl").path
    snap = complete_snapshots(tmp_path)[-1]
    assert snap.path == path
    assert list(snap.table("accounts")["status"]) == ["partial"]
    assert len(snap.table("pipelines")) == 0


def test_resume_reads_the_parquet_parts_an_earlier_version_left(tmp_path: Path) -> None:
    """Parts were Parquet before they were Arrow IPC: a staging area killed under the earlier
    version publishes its done accounts' rows after an upgrade, and a redone account's old parts go."""
    writer = SnapshotWriter(tmp_path, "2026-11-20")
    for account, n in (("111111111111", 2), ("222222222222", 3)):
        writer.write_account(account, {"accounts": [{"account_id": account, "status": "ok"}],
                                        "pipelines": _rows("pipelines", n)})
    for part in (writer.staging / "parts").glob("*/*.arrow"):  # as the earlier version wrote them
        pq.write_table(pa.ipc.open_file(pa.memory_map(str(part))).read_all(), part.with_suffix(".parquet"))
        part.unlink()
    resumed = SnapshotWriter(tmp_path, "2026-11-20", resume=True)
    assert resumed.done_accounts == {"111111111111", "222222222222"}
    (resumed.staging / "done" / "222222222222").unlink()  # its redo gives one pipeline
    resumed.write_account("222222222222", {"accounts": [{"account_id": "222222222222", "status": "ok"}],
                                           "pipelines": _rows("pipelines", 1)})
    assert sorted(p.name for p in (resumed.staging / "parts" / "pipelines").iterdir()) == [
        "111111111111.parquet", "222222222222.arrow"]
    assert resumed.publish({}, section="crawl").published
    snap = latest_snapshot(tmp_path)
    assert sorted(snap.table("accounts")["account_id"]) == ["111111111111", "222222222222"]
    assert len(snap.table("pipelines")) == 3


def test_fresh_writer_discards_stale_staging(tmp_path: Path) -> None:
    SnapshotWriter(tmp_path, "2026-11-20").write_account("111111111111", {"accounts": [{"account_id": "1"}]})
    assert SnapshotWriter(tmp_path, "2026-11-20").done_accounts == set()


def test_bad_date_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="YYYY-MM-DD"):
        write_snapshot(tmp_path, "20-11-2026", {})


def test_replacing_a_snapshot_is_one_atomic_exchange(tmp_path: Path, monkeypatch) -> None:
    """Where the OS can exchange two paths, a same-day rewrite never renames the old snapshot aside
    (elsewhere it falls back to renaming, whose crash window the next test covers)."""
    write_snapshot(tmp_path, "2026-11-20", {"accounts": _rows("accounts", 2)})
    day = tmp_path / "snapshots" / "2026-11-20"
    exchange = atomic.exchange(day, day)  # swapping a path with itself: a no-op probe of support
    renames = []
    real_rename = os.rename
    monkeypatch.setattr(atomic.os, "rename", lambda a, b: (renames.append((a, b)), real_rename(a, b)))
    write_snapshot(tmp_path, "2026-11-20", {"accounts": _rows("accounts", 5)})
    assert (renames == []) is exchange
    assert len(latest_snapshot(tmp_path).table("accounts")) == 5
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == ["2026-11-20"]


def test_snapshot_moved_aside_by_a_dead_writer_is_recovered(tmp_path: Path, monkeypatch) -> None:
    """The fallback path: a writer killed between its two renames leaves `.old-<day>-*`; the next write
    restores it (and so carries its tables over) instead of starting the day from nothing."""
    write_snapshot(tmp_path, "2026-11-20", {"accounts": _rows("accounts", 2)}, {"config_hash": "c"}, section="crawl")
    day = tmp_path / "snapshots" / "2026-11-20"
    os.rename(day, day.with_name(".old-2026-11-20-deadbeef"))
    assert complete_snapshots(tmp_path) == []
    monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
    write_snapshot(tmp_path, "2026-11-20", {"repos": _rows("repos", 1)}, {}, section="scan")
    snap = latest_snapshot(tmp_path)
    assert len(snap.table("accounts")) == 2 and len(snap.table("repos")) == 1
    assert set(snap.manifest["sections"]) == {"crawl", "scan"}
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == ["2026-11-20"]
