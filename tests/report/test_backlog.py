"""backlog.csv for Jira's importer, backlog.md for a wiki, ranking.csv: escaped, defused, dependency-safe."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

from audit.report.backlog import (
    JIRA_COLUMNS,
    backlog_csv,
    backlog_md,
    defuse,
    ranking_csv,
    selected,
    story_points,
    write_backlog,
)

from .handmade import FORMULA, XSS, analysis_tables


@pytest.fixture(scope="module")
def ranking() -> pd.DataFrame:
    return pd.DataFrame(analysis_tables()["ranking"])


def _rows(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def test_csv_has_the_jira_columns_and_parses(ranking) -> None:
    header, rows = _rows(backlog_csv(ranking, 3))
    for col in JIRA_COLUMNS + ["Labels", "Depends on"]:
        assert col in header
    assert all(len(r) == len(header) for r in rows)
    assert all(r[header.index("Issue Type")] == "Story" for r in rows)
    assert all(int(r[header.index("Original Estimate")]) > 0 for r in rows)


def test_top_n_plus_prerequisites_in_dependency_order(ranking) -> None:
    # top 3 by ROI: shared-pipeline (50 h/d), oidc (40), deploy-role (40); shared-pipeline needs deploy-role
    top = selected(ranking, 3)
    assert set(top["item_id"]) == {"deploy-role", "oidc", "shared-pipeline"}
    top1 = selected(ranking, 1)
    assert list(top1["item_id"]) == ["deploy-role", "shared-pipeline"]  # prerequisite first
    header, rows = _rows(backlog_csv(ranking, 1))
    ids = {r[header.index("Summary")]: r[header.index("Issue Id")] for r in rows}
    dep_cols = [i for i, h in enumerate(header) if h == "Depends on"]
    shared = next(r for r in rows if r[header.index("Summary")].startswith("Shared pipeline"))
    assert [shared[i] for i in dep_cols if shared[i]] == [ids["Cross-account deploy role baseline"]]
    prereq = next(r for r in rows if r[header.index("Summary")].startswith("Cross-account"))
    assert "prerequisite" in prereq and prereq[header.index("Priority")] == "Medium"
    assert len(_rows(backlog_csv(ranking, 1, export_all=True))[1]) == len(ranking)


def test_formula_injection_is_defused(ranking) -> None:
    header, rows = _rows(backlog_csv(ranking, 5))
    summaries = [r[header.index("Summary")] for r in rows]
    assert "'=Migrate CI access keys to OIDC" in summaries
    assert "'+ECR scan on push and immutable tags" in summaries
    for r in rows:
        for cell in r:
            assert not cell.startswith(("=", "+", "@")) and not (cell.startswith("-") and not cell[1:].isdigit())
    assert defuse("-1+2") == "'-1+2" and defuse(-3) == -3 and defuse("ok") == "ok"
    ranks = _rows(ranking_csv(ranking, 5, export_all=True))[1]
    assert all(not c.startswith("=") for r in ranks for c in r)


def test_description_is_plain_text_with_why_and_quotes_survive(ranking) -> None:
    header, rows = _rows(backlog_csv(ranking, 5))
    desc = next(r for r in rows if "Shared pipeline" in r[header.index("Summary")])[header.index("Description")]
    assert XSS in desc and FORMULA in desc and "Needs first: Cross-account deploy role baseline" in desc


def test_markdown_escapes_html_and_table_pipes(ranking) -> None:
    md = backlog_md(ranking, 5, day="2026-11-23")
    assert "<script>" not in md and "&lt;script&gt;" in md
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(ranking)
    assert all(line.count(" | ") == 7 for line in table[1:])


def test_ranking_csv_has_every_score(ranking) -> None:
    header, rows = _rows(ranking_csv(ranking, 2, export_all=True))
    for col in ("rank", "hours_saved_per_year", "effort_days", "roi", "wsjf", "top_n_share", "order"):
        assert col in header
    assert len(rows) == len(ranking)
    assert len(_rows(ranking_csv(ranking, 2))[1]) < len(ranking)


def test_story_points_round_up_to_fibonacci() -> None:
    assert [story_points(d) for d in (0.5, 1, 2.5, 4, 9, 40)] == [1, 1, 3, 5, 13, 21]
    assert story_points(None) is None


def test_write_backlog_writes_three_files(ranking, tmp_path) -> None:
    paths = write_backlog(ranking, tmp_path, 3, day="2026-11-23")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backlog.csv", "backlog.md", "ranking.csv"]
    assert paths["backlog.csv"].read_bytes().startswith(b"Issue Id,")


def test_empty_ranking_exports_headers_only(tmp_path) -> None:
    from audit.store.schema import empty_frame

    write_backlog(empty_frame("ranking"), tmp_path, 3)
    header, rows = _rows((tmp_path / "backlog.csv").read_text())
    assert "Summary" in header and rows == []


def test_unknown_roi_says_unknown_not_nan(ranking) -> None:
    # an item with zero effort has no ROI (null): the exports say so instead of printing "nan"
    df = ranking.copy()
    df.loc[df.index[0], "roi"] = float("nan")
    for text in (backlog_csv(df, 20, export_all=True), backlog_md(df, 20, export_all=True)):
        assert not re.search(r"\bnan\b", text, re.I)
        assert "ROI unknown" in text or "| unknown |" in text
