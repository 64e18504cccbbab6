"""Section functions on the hand-built inventory, without a kernel: right facts, escaped, honest unknowns."""

from __future__ import annotations

import pandas as pd
import pytest

from audit.report import sections
from audit.report.figures import FigureView

from .conftest import DAY
from .handmade import XSS

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(scope="module")
def report(handmade_inventory):
    return sections.load(handmade_inventory, DAY)


def test_headline_counts_and_changes(report) -> None:
    out = sections.headline(report).data
    assert '<div class="value">3<span class="total"> of 4</span></div><div class="label">accounts ok</div>' in out
    assert '<div class="value">1<span class="total"> of 4</span></div><div class="label">failed</div>' in out
    assert '<span class="total"> of 2</span></div><div class="label">repositories scanned ok</div>' in out
    assert "What changed since 2026-11-16" in out
    assert f"umbrella{ESCAPED} (000000000004) crawled for the first time" in out
    assert "rank-moved: =Migrate CI access keys to OIDC (5 → 1)" in out  # an older row: the item's title
    assert out.index("crawled for the first time") < out.index("rank-moved")


def test_top_work_items_are_the_pick_with_key_inputs_formula_and_prerequisites(report) -> None:
    out = sections.top_work_items(report).data
    assert out.count('class="item"') == 3  # the build-order prefix within 14 person-days
    assert "Needs first</dt><dd>#1 Cross-account deploy role baseline (in the pick)" in out
    assert XSS not in out and ESCAPED in out
    assert "3 clients" in out and "2 teams" in out and "4 units" in out
    assert '<div class="value">50.0</div><div class="label">WSJF key</div>' in out
    assert "<dt>Inputs</dt><dd>h per unit/yr 1 (catalog)" in out and "person-h/yr</dd>" in out
    assert "within a capacity of 14.0 person-days" in out and "13.0 days of effort, 600 person-hours" in out


def test_pick_list_is_consistent_everywhere(report) -> None:
    """Cards, payoff curve, payoff summary and backlog: the same items with the same numbers."""
    import re

    from audit.report.backlog import backlog_rows

    cards = sections.top_work_items(report).data
    steps = [int(s) for s in re.findall(r'<span class="rank">(\d+)</span>', cards)]
    curve = sections.payoff_curve(report).fig
    labelled = [int(t) for t in curve.data[1].text]
    backlog = sorted(r["rank"] for r in backlog_rows(report.ranking()))
    assert steps == labelled == backlog == [1, 2, 3]
    pick = report.pick()
    summary = sections.payoff_summary(report).data
    assert f"{pick['effort_days'].sum():.1f} days of effort" in summary and summary in cards
    assert float(pick["cumulative_effort_days"].iloc[-1]) == pytest.approx(pick["effort_days"].sum())
    # no card needs an item that comes later
    ranks = dict(zip(report.ranking()["item_id"], report.ranking()["rank"], strict=True))
    for row in pick.itertuples():
        assert all(ranks[d] < row.rank for d in row.depends_on)


def test_capacity_parameter_recomputes_the_pick(handmade_inventory) -> None:
    wide = sections.load(handmade_inventory, DAY, capacity_days=30)
    assert len(wide.pick()) == 5 and wide.capacity == (30.0, "parameter")
    narrow = sections.load(handmade_inventory, DAY, capacity_days=3)
    assert list(narrow.pick()["item_id"]) == ["deploy-role"]
    assert sections.top_work_items(narrow).data.count('class="item"') == 1
    none = sections.load(handmade_inventory, DAY, capacity_days=2)
    assert "Nothing fits a capacity of 2.0 person-days" in sections.top_work_items(none).data


def test_findings_count_clients_and_link_the_fixing_item(report) -> None:
    out = sections.findings(report).data
    row = out[out.index("CI/deploy users with active long-lived access keys"):]
    row = row[:row.index("</tr>")]
    assert "<td>2</td>" in row and "acme, globex" in row
    assert "#3 =Migrate CI access keys to OIDC (in the pick)" in row  # the fixing item, its build-order step
    assert "oldest key 3 days old" in out  # a fresh key on a CI user is a finding, its age shown
    secret = out[out.index("Plaintext secrets"):]
    assert "no catalog item covers it" in secret[:secret.index("</tr>")]
    assert XSS not in out and ESCAPED in out


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


def test_cards_name_the_owner_and_open_long_lists(handmade_inventory, tmp_path) -> None:
    """An item the meeting picked shows its owner; the others say the meeting assigns one. Served
    clients past eight open in place."""
    import shutil

    from audit.store.snapshots import write_analysis

    inv = tmp_path / "inv"
    shutil.copytree(handmade_inventory, inv)
    snap = inv / "snapshots" / DAY
    tables = {p.stem: pd.read_parquet(p) for p in (snap / "analysis").glob("*.parquet")}
    first = tables["ranking"].sort_values("rank").iloc[0]
    tables["ranking"].loc[tables["ranking"]["item_id"] == first.item_id, "client_list"] = pd.Series(
        [[f"client-{i}" for i in range(12)]], index=tables["ranking"].index[tables["ranking"]["item_id"] == first.item_id])
    tables["picks"] = pd.DataFrame([{"item_id": first.item_id, "title": first.title, "owner": "web", "sprint": "24",
                                     "status": "in-progress", "picked_on": "2026-11-16"}])
    write_analysis(snap, tables)
    out = sections.top_work_items(sections.load(inv, DAY)).data
    assert "<dt>Owner</dt><dd>web (in-progress, sprint 24)</dd>" in out
    assert "none yet: the meeting assigns one (cicd-audit decide" in out
    assert '<details class="more"><summary>+4 more</summary>' in out
