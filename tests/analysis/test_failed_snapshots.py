"""Analysis on the weeks that go wrong: every account failed, nothing crawled, a failed week before."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from audit.analysis.run import ANALYSIS_TABLES, analyze

from .inventory import inventory_tables, surveys, write, write_failed, write_scan_only

CATALOG = Path(__file__).resolve().parents[2] / "inventory" / "catalog.yaml"


def test_every_account_failed_analyses_to_empty_tables(tmp_path):
    """The survey used to crash scoring here ("cannot set a frame with no defined index and a scalar")."""
    snap = write_failed(tmp_path / "inv", "2026-02-01")
    out = analyze(snap, CATALOG, surveys())
    assert out["units"].empty and out["patterns"].empty and out["baseline"].empty
    assert (out["ranking"]["units"] == 0).all() and len(out["ranking"]) == 14
    assert sorted(p.stem for p in (snap.path / "analysis").glob("*.parquet")) == sorted(ANALYSIS_TABLES)


def test_a_scan_without_any_crawl_analyses(tmp_path):
    snap = write_scan_only(tmp_path / "inv", "2026-02-01")
    out = analyze(snap, CATALOG, surveys())
    assert set(out["units"]["kind"]) <= {"repo"}
    assert (out["ranking"]["units"] == 0).all()


def test_a_failed_week_does_not_poison_the_next(tmp_path):
    """The failed snapshot was never analysed; the next week's drift step used to crash re-analysing it."""
    root = tmp_path / "inv"
    write(root, "2026-01-25", inventory_tables())
    write_failed(root, "2026-02-01")
    good = write(root, "2026-02-08", inventory_tables())
    out = analyze(good, CATALOG, surveys())
    assert len(out["units"]) == 7


def test_drift_skips_a_failed_week_and_says_so(tmp_path):
    root = tmp_path / "inv"
    write(root, "2026-01-25", inventory_tables())
    write_failed(root, "2026-02-01")
    write_scan_only(root, "2026-02-04")
    good = write(root, "2026-02-08", inventory_tables())
    out = analyze(good, CATALOG, surveys())
    assert out["drift"].empty  # same tables as 2026-01-25; against the failed week every unit would be "added"
    summary = out["drift_summary"].iloc[0]
    # (a crawl recording its outcome publishes an all-failed week incomplete, unlisted: tests/report/test_failed_week.py;
    # one with only the account counts, like this one, is listed and skipped here)
    assert summary["compared_with"] == "2026-01-25" and list(summary["skipped"]) == ["2026-02-04", "2026-02-01"]
    assert summary["summary"] == ("Compared with 2026-01-25, the last good snapshot (2026-02-04 skipped: no crawl, "
                                  "only a scan; 2026-02-01 skipped: no account could be crawled).")


def test_a_failed_snapshot_is_compared_with_nothing(tmp_path):
    root = tmp_path / "inv"
    write(root, "2026-01-25", inventory_tables())
    failed = write_failed(root, "2026-02-01")
    out = analyze(failed, CATALOG, surveys())
    assert out["drift"].empty  # not "5 accounts, 7 units removed"
    summary = out["drift_summary"].iloc[0]
    assert summary["outcome"] == "all-failed" and pd.isna(summary["compared_with"])
    assert summary["summary"] == "Not compared with 2026-01-25: no account could be crawled in this snapshot."


def test_only_bad_weeks_before_means_nothing_to_compare(tmp_path):
    root = tmp_path / "inv"
    write_failed(root, "2026-01-18")
    write_scan_only(root, "2026-01-25")
    out = analyze(write(root, "2026-02-01", inventory_tables()), CATALOG, surveys())
    summary = out["drift_summary"].iloc[0]
    assert summary["outcome"] == "ok" and pd.isna(summary["compared_with"])
    assert summary["summary"] == ("Nothing to compare with: no earlier snapshot has a crawled account "
                                  "(2026-01-25 skipped: no crawl, only a scan; 2026-01-18 skipped: no account could "
                                  "be crawled).")
