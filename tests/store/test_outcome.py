"""Never replace better with worse: a crawl's outcome decides whether it replaces the day's snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.store import SnapshotWriter, complete_snapshots, last_good_snapshot, write_snapshot
from audit.store.outcome import crawl_outcome, refusal, snapshot_outcome
from audit.store.snapshots import open_snapshot, read_manifest

DAY = "2026-11-20"


def _crawl(root: Path, statuses: dict[str, str], *, replace: bool = False, day: str = DAY):
    writer = SnapshotWriter(root, day)
    for account, status in statuses.items():
        writer.write_account(account, {"accounts": [{"account_id": account, "status": status}],
                                       "pipelines": [{"account_id": account, "name": f"p-{status}"}]
                                       if status != "failed" else []})
    return writer.publish({"accounts_total": len(statuses)}, replace=replace)


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("statuses", "outcome"), [
    (["ok", "partial"], "ok"), (["ok", "failed"], "partial"), (["failed", "failed"], "all-failed"), ([], "empty")])
def test_crawl_outcome(statuses: list[str], outcome: str) -> None:
    assert crawl_outcome(statuses) == outcome


def test_all_failed_crawl_is_published_but_not_complete(tmp_path: Path) -> None:
    published = _crawl(tmp_path, {"111111111111": "failed", "222222222222": "failed"})
    assert published.published and published.outcome == "all-failed"
    manifest = read_manifest(published.path)
    assert manifest["complete"] is False and manifest["outcome"] == "all-failed"
    assert manifest["sections"]["crawl"]["outcome"] == "all-failed"
    assert complete_snapshots(tmp_path) == []
    assert open_snapshot(published.path).outcome == "all-failed"  # named explicitly, it opens
    assert open_snapshot(tmp_path, DAY).outcome == "all-failed"
    # a scan of the same day does not make it complete
    write_snapshot(tmp_path, DAY, {"repos": []}, {}, section="scan")
    assert read_manifest(published.path)["complete"] is False and complete_snapshots(tmp_path) == []
    # a good crawl later that day replaces it
    assert _crawl(tmp_path, {"111111111111": "ok"}).published
    assert open_snapshot(tmp_path, DAY).outcome == "ok"


@pytest.mark.parametrize(("statuses", "replace", "replaced"), [
    ({"111111111111": "failed", "222222222222": "failed"}, False, False),
    ({"111111111111": "failed", "222222222222": "failed"}, True, False),  # never, not even with --replace
    ({"111111111111": "ok", "222222222222": "failed"}, False, False),
    ({"111111111111": "ok", "222222222222": "failed"}, True, True),
    ({"111111111111": "partial", "222222222222": "ok"}, False, True),
], ids=["all-failed", "all-failed-replace", "partial", "partial-replace", "ok"])
def test_same_day_rerun_replaces_only_with_a_complete_crawl_or_replace(
        tmp_path: Path, statuses: dict[str, str], replace: bool, replaced: bool) -> None:
    good = _crawl(tmp_path, {"111111111111": "ok", "222222222222": "ok"})
    write_snapshot(tmp_path, DAY, {"repos": [{"repo": "web"}]}, {}, section="scan")
    before = _files(good.path)
    again = _crawl(tmp_path, statuses, replace=replace)
    assert again.published is replaced and again.path == good.path
    if replaced:
        assert _files(good.path) != before
        snap = open_snapshot(tmp_path, DAY)
        assert snap.outcome == again.outcome and len(snap.table("repos")) == 1  # the scan is carried over
    else:
        assert _files(good.path) == before  # byte-identical
        assert "kept unchanged" in again.kept
        staging = tmp_path / "snapshots" / f".staging-{DAY}"
        assert staging.is_dir()  # kept, so `--resume --replace` can publish a partial crawl
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir() if p.name.startswith(".tmp")) == []


def test_last_good_snapshot_skips_failed_empty_and_scan_only(tmp_path: Path) -> None:
    _crawl(tmp_path, {"111111111111": "ok"}, day="2026-11-09")
    _crawl(tmp_path, {"111111111111": "ok", "222222222222": "failed"}, day="2026-11-10")
    write_snapshot(tmp_path, "2026-11-11", {"repos": []}, {}, section="scan")  # a scan only
    # written before outcomes were recorded: derived from the account counts
    write_snapshot(tmp_path, "2026-11-12", {"accounts": []}, {"accounts_total": 3, "accounts_failed": 3},
                   section="crawl")
    _crawl(tmp_path, {"111111111111": "failed"}, day="2026-11-13")
    assert [s.date for s in complete_snapshots(tmp_path)] == ["2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12"]
    assert [s.outcome for s in complete_snapshots(tmp_path)] == ["ok", "partial", None, "all-failed"]
    assert last_good_snapshot(tmp_path).date == "2026-11-10"
    assert last_good_snapshot(tmp_path, before="2026-11-10").date == "2026-11-09"
    assert last_good_snapshot(tmp_path, before="2026-11-09") is None


def test_refusal_rules() -> None:
    good = {"complete": True, "sections": {"crawl": {"outcome": "ok"}}}
    assert refusal({}, "all-failed", replace=False) is None  # nothing to lose
    assert refusal({"complete": True, "sections": {"scan": {}}}, "partial", replace=False) is None
    assert refusal(good, "all-failed", replace=True)
    assert refusal(good, "partial", replace=False) and refusal(good, "partial", replace=True) is None
    assert refusal(good, "ok", replace=False) is None
    assert snapshot_outcome({"sections": {"crawl": {"accounts_total": 2, "accounts_failed": 1}}}) == "partial"
