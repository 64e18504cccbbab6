"""Analysis on the weeks that go wrong: every account failed, nothing crawled, a failed week before."""

from __future__ import annotations

from pathlib import Path

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
