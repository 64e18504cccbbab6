"""audit.pipeline: the weekly verbs and their options; a raw snapshot stays raw, so crawl and scan
may run in either order and the analysis is the same."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from audit import pipeline
from audit.analysis.run import ANALYSIS_TABLES
from audit.options import AnalyzeOptions, CrawlOptions, ScanOptions, WeeklyOptions
from audit.store.snapshots import open_snapshot

DAY = "2026-02-03"


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.map(lambda v: tuple(v) if hasattr(v, "__len__") and not isinstance(v, str) else v)
    return frame.sort_values(list(frame.columns), kind="stable", key=lambda c: c.astype(str)).reset_index(drop=True)


def test_scan_before_crawl_and_crawl_before_scan_give_the_same_analysis(fleet, tmp_path) -> None:
    inputs = pipeline.Inputs.load(fleet.out)
    crawl = CrawlOptions(day=DAY, endpoint_url=fleet.endpoint_url, services=("codepipeline",), progress=False)
    scan = ScanOptions(day=DAY, progress=False)
    scan_first, crawl_first = tmp_path / "scan-first", tmp_path / "crawl-first"
    pipeline.scan(inputs, scan_first, scan)
    assert "pipelines" not in open_snapshot(scan_first, DAY).tables()
    pipeline.crawl(inputs, scan_first, crawl)
    pipeline.crawl(inputs, crawl_first, crawl)
    pipeline.scan(inputs, crawl_first, scan)
    raw = {inv: open_snapshot(inv, DAY) for inv in (scan_first, crawl_first)}
    assert raw[scan_first].tables() == raw[crawl_first].tables()
    assert set(raw[scan_first].manifest["sections"]) == {"crawl", "scan"}
    a = pipeline.analyze(inputs, scan_first, DAY, AnalyzeOptions(top_n=3))
    b = pipeline.analyze(inputs, crawl_first, DAY, AnalyzeOptions(top_n=3))
    assert set(a) == set(b) == set(ANALYSIS_TABLES)
    assert len(a["repo_links"]) == len(fleet.model.repos) and a["repo_links"]["pipeline_links"].map(len).sum() > 0
    for name in ANALYSIS_TABLES:
        pd.testing.assert_frame_equal(_sorted(a[name]), _sorted(b[name]), obj=name)


def test_options_are_frozen_and_one_weekly_run_is_one_day() -> None:
    options = WeeklyOptions.for_day(DAY, top_n=4, endpoint_url="http://127.0.0.1:9", progress=False)
    assert options.crawl.day == options.scan.day == options.report.snapshot_date == options.day == DAY
    assert options.analyze.top_n == options.report.top_n == 4 and options.crawl.endpoint_url == "http://127.0.0.1:9"
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.crawl.day = "2026-02-04"  # type: ignore[misc]
    with pytest.raises(ValueError, match="one day"):
        dataclasses.replace(options, crawl=dataclasses.replace(options.crawl, day="2026-02-04"))
