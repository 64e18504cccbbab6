"""Section functions on the hand-built inventory, without a kernel: right facts, escaped, honest unknowns."""

from __future__ import annotations

import pytest

from audit.report import sections
from audit.report.figures import FigureView

from .conftest import DAY
from .handmade import XSS

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(scope="module")
def report(handmade_inventory):
    return sections.load(handmade_inventory, DAY, top_n=3)


def test_headline_counts_and_changes(report) -> None:
    out = sections.headline(report).data
    assert '<div class="value">3<span class="total"> of 4</span></div><div class="label">accounts ok</div>' in out
    assert '<div class="value">1<span class="total"> of 4</span></div><div class="label">failed</div>' in out
    assert '<span class="total"> of 2</span></div><div class="label">repositories scanned ok</div>' in out
    assert "What changed since 2026-11-16" in out
    assert f"umbrella{ESCAPED} (000000000004) crawled for the first time" in out
    assert "rank-moved: =Migrate CI access keys to OIDC (5 → 1)" in out  # an older row: the item's title
    assert out.index("crawled for the first time") < out.index("rank-moved")


def test_top_work_items_show_why_and_prerequisites(report) -> None:
    out = sections.top_work_items(report).data
    assert out.count('class="item"') == 3
    assert "Needs first</dt><dd>Cross-account deploy role baseline" in out
    assert XSS not in out and ESCAPED in out
    assert "3 clients" in out and "2 teams" in out and "4 units" in out


def test_every_section_escapes(report) -> None:
    outputs = [sections.manual_units(report), sections.errors(report), sections.baseline(report),
               sections.repo_coverage(report), sections.ranking_table(report), sections.dependency_order(report),
               sections.backlog_preview(report), sections.drifting_clients(report)]
    html = "".join(o.data for o in outputs)
    assert XSS not in html and "<b>bold</b>" not in html and ESCAPED in html


def test_appendix_lists_every_error(report) -> None:
    out = sections.errors(report).data
    assert out.count("<tr") == 1 + len(report.table("errors"))
    assert "AssumeRole" in out and "GitError" in out


def test_unknown_is_not_zero(report) -> None:
    out = sections.delivery_table(report, "team").data
    java = out[out.index("<td>java</td>"):]
    java = java[:java.index("</tr>")]
    assert "unknown" in java and "<td>0</td>" not in java


def test_figure_sections_return_figures(report) -> None:
    for fn in (sections.rank_stability, sections.pattern_families, sections.payoff_curve, sections.similarity,
               sections.delivery_frequency, sections.release_mix, sections.overlap_heatmap):
        assert isinstance(fn(report), FigureView)


def test_load_refuses_a_snapshot_without_analysis(tmp_path) -> None:
    from audit.errors import SnapshotError
    from audit.store.snapshots import write_snapshot

    from .handmade import crawl_tables

    write_snapshot(tmp_path, DAY, crawl_tables(), {})
    with pytest.raises(SnapshotError, match="cicd-audit analyze"):
        sections.load(tmp_path, DAY)
    assert sections.load(tmp_path, DAY, require_analysis=False).account_status()["failed"] == 1
