"""The store's atomic primitives, and the snapshot writers' cleanup of what killed writers left."""

from __future__ import annotations

import os
import time
from pathlib import Path

from audit.store import atomic, write_snapshot
from audit.store.snapshots import latest_snapshot, write_analysis

DAY_OLD = time.time() - 2 * 86400


def _dir(path: Path, *files: str) -> Path:
    path.mkdir(parents=True)
    for name in files:
        (path / name).write_text(name)
    return path


def _age(path: Path) -> None:
    os.utime(path, (DAY_OLD, DAY_OLD))


def test_recover_restores_only_a_whole_moved_aside_directory(tmp_path: Path) -> None:
    final = tmp_path / "2026-11-20"
    _dir(tmp_path / ".old-2026-11-20-aaaa")  # half removed: no marker
    _dir(tmp_path / ".old-2026-11-20-bbbb", "manifest.json")
    atomic.recover(final, "manifest.json")
    assert (final / "manifest.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".old-2026-11-20-aaaa", "2026-11-20"]
    atomic.recover(final, "manifest.json")  # final exists: nothing to do
    assert (final / "manifest.json").exists()


def test_swap_in_without_exchange_falls_back_to_rename_aside(tmp_path: Path, monkeypatch) -> None:
    final = _dir(tmp_path / "r", "old")
    staging = _dir(tmp_path / ".tmp-r-1", "new")
    monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
    atomic.swap_in(staging, final)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"] and (final / "new").exists()


def test_snapshot_writes_clean_day_old_leftovers(tmp_path: Path) -> None:
    write_snapshot(tmp_path, "2026-11-20", {"accounts": []})
    snaps = tmp_path / "snapshots"
    day = snaps / "2026-11-20"
    stale = [_dir(snaps / ".tmp-2026-11-19-x", "a.parquet"), _dir(snaps / ".old-2026-11-20-y", "manifest.json")]
    fresh = _dir(snaps / ".tmp-2026-11-21-z")
    staging = _dir(snaps / ".staging-2026-11-18", "done")  # resumable crawl: never cleaned
    analysis_tmp = _dir(day / ".tmp-analysis-q")
    for path in [*stale, staging, analysis_tmp]:
        _age(path)
    write_snapshot(tmp_path, "2026-11-21", {"accounts": []})
    assert sorted(p.name for p in snaps.iterdir()) == [
        ".staging-2026-11-18", fresh.name, "2026-11-20", "2026-11-21"]
    write_analysis(day, {"units": []})
    assert not analysis_tmp.exists()
    assert latest_snapshot(tmp_path).date == "2026-11-21"
