"""backlog.csv (Jira), backlog.json (GitHub), backlog.md, ranking.csv: keyed by item id, escaped, defused."""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest

from audit.report.backlog import (
    JIRA_COLUMNS,
    SECONDS_PER_DAY,
    backlog_csv,
    backlog_json,
    backlog_md,
    defuse,
    jira_keys_from_export,
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


def _by_id(text: str) -> tuple[list[str], dict[str, list[str]]]:
    header, rows = _rows(text)
    return header, {r[header.index("Issue ID")]: r for r in rows}


def test_csv_has_the_jira_columns_keyed_by_item_id(ranking) -> None:
    header, rows = _by_id(backlog_csv(ranking))
    for col in JIRA_COLUMNS + ["Labels", "Depends on"]:
        assert col in header
    assert set(rows) == {"deploy-role", "shared-pipeline", "oidc"}  # the pick (14 person-days)
    assert all(len(r) == len(header) for r in rows.values())
    for item_id, r in rows.items():
        assert r[header.index("External ID")] == item_id
        labels = [r[i] for i, h in enumerate(header) if h == "Labels"]
        assert f"cicd-audit-item-{item_id}" in labels and "proposed" in labels
    # estimates in seconds at 8 h per person-day (Jira's CSV time-tracking unit)
    assert rows["shared-pipeline"][header.index("Original Estimate")] == str(8 * SECONDS_PER_DAY)


def test_catalog_decides_type_priority_labels_and_epics_parent_their_dependents(ranking) -> None:
    header, rows = _by_id(backlog_csv(ranking, export_all=True))
    col = header.index
    assert rows["shared-pipeline"][col("Issue Type")] == "Epic" and rows["ecr-scan"][col("Issue Type")] == "Task"
    assert rows["oidc"][col("Priority")] == "Highest" and rows["ecr-scan"][col("Priority")] == "Low"
    assert rows["hotfix"][col("Priority")] == "Medium"  # the catalog left it open and it is not picked
    assert rows["hotfix"][col("Parent")] == "shared-pipeline"  # its prerequisite is an Epic
    assert rows["shared-pipeline"][col("Parent")] == ""  # an Epic has no parent
    links = [i for i, h in enumerate(header) if h == "Depends on"]
    assert [rows["shared-pipeline"][i] for i in links if rows["shared-pipeline"][i]] == ["deploy-role"]
    labels = [i for i, h in enumerate(header) if h == "Labels"]
    assert "security" in [rows["oidc"][i] for i in labels]
    _, ordered = _rows(backlog_csv(ranking, export_all=True))
    assert ordered[0][col("Issue Type")] == "Epic"  # parents before children (Jira's importer needs them first)


def test_picked_set_marks_and_adds_items_with_their_prerequisites(ranking) -> None:
    header, rows = _by_id(backlog_csv(ranking, picked={"hotfix"}))
    assert set(rows) == {"deploy-role", "shared-pipeline", "oidc", "hotfix"}
    labels = [i for i, h in enumerate(header) if h == "Labels"]
    assert "picked" in [rows["hotfix"][i] for i in labels]
    assert "proposed" in [rows["oidc"][i] for i in labels]
    assert list(selected(ranking, picked={"hotfix"})["item_id"])[:2] == ["deploy-role", "shared-pipeline"]


def test_a_jira_export_makes_the_reimport_update_by_issue_key(ranking, tmp_path) -> None:
    export = tmp_path / "jira-export.csv"
    export.write_text("Summary,Issue key,Issue id,Labels,Labels\r\n"
                      "Shared,OPS-17,10017,cicd-audit,cicd-audit-item-shared-pipeline\r\n"
                      "Other,OPS-18,10018,unrelated,\r\n", encoding="utf-8-sig")
    keys = jira_keys_from_export(export)
    assert keys == {"shared-pipeline": "OPS-17"}
    header, rows = _by_id(backlog_csv(ranking, jira_keys=keys))
    assert rows["shared-pipeline"][header.index("Issue Key")] == "OPS-17"
    assert rows["oidc"][header.index("Issue Key")] == ""  # new: created on import


def test_github_json_has_the_rest_api_fields(ranking) -> None:
    issues = json.loads(backlog_json(ranking, export_all=True))
    assert [i["item_id"] for i in issues][0] == "shared-pipeline"  # epics first, like the CSV
    hotfix = next(i for i in issues if i["item_id"] == "hotfix")
    assert set(hotfix) == {"item_id", "key_label", "title", "body", "labels"}
    assert hotfix["key_label"] == "cicd-audit-item-hotfix" and hotfix["key_label"] in hotfix["labels"]
    assert "Parent epic: Shared pipeline template" in hotfix["body"] and "estimate: 5.0 person-days" in hotfix["body"]
    assert "epic" in next(i for i in issues if i["item_id"] == "shared-pipeline")["labels"]


def test_formula_injection_is_defused(ranking) -> None:
    header, rows = _rows(backlog_csv(ranking, export_all=True))
    summaries = [r[header.index("Summary")] for r in rows]
    assert "'=Migrate CI access keys to OIDC" in summaries
    assert "'+ECR scan on push and immutable tags" in summaries
    for r in rows:
        for cell in r:
            assert not cell.startswith(("=", "+", "@")) and not (cell.startswith("-") and not cell[1:].isdigit())
    assert defuse("-1+2") == "'-1+2" and defuse(-3) == -3 and defuse("ok") == "ok"
    ranks = _rows(ranking_csv(ranking, export_all=True))[1]
    assert all(not c.startswith("=") for r in ranks for c in r)


def test_description_is_plain_text_with_why_and_quotes_survive(ranking) -> None:
    header, rows = _rows(backlog_csv(ranking))
    desc = next(r for r in rows if "Shared pipeline" in r[header.index("Summary")])[header.index("Description")]
    assert XSS in desc and FORMULA in desc
    assert "Needs first: Cross-account deploy role baseline (deploy-role)" in desc
    assert "WSJF key 50.0; build-order step 2" in desc and "status proposed" in desc


def test_markdown_escapes_html_and_table_pipes(ranking) -> None:
    md = backlog_md(ranking, day="2026-11-23", export_all=True)
    assert "<script>" not in md and "&lt;script&gt;" in md
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(ranking)
    assert all(line.count(" | ") == 7 for line in table[1:])


def test_ranking_csv_has_every_score(ranking) -> None:
    header, rows = _rows(ranking_csv(ranking, export_all=True))
    for col in ("rank", "hours_saved_per_year", "delay_hours_avoided_per_year", "effort_days", "wsjf", "pick_key",
                "picked", "pick_share", "inputs", "formula"):
        assert col in header
    assert len(rows) == len(ranking)
    assert len(_rows(ranking_csv(ranking))[1]) == 3


def test_story_points_round_up_to_fibonacci() -> None:
    assert [story_points(d) for d in (0.5, 1, 2.5, 4, 9, 40)] == [1, 1, 3, 5, 13, 21]
    assert story_points(None) is None


def test_write_backlog_writes_four_files(ranking, tmp_path) -> None:
    paths = write_backlog(ranking, tmp_path, day="2026-11-23")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backlog.csv", "backlog.json", "backlog.md", "ranking.csv"]
    assert paths["backlog.csv"].read_bytes().startswith(b"Issue ID,External ID,")
    assert len(json.loads(paths["backlog.json"].read_text())) == 3


def test_empty_ranking_exports_headers_only(tmp_path) -> None:
    from audit.store.schema import empty_frame

    write_backlog(empty_frame("ranking"), tmp_path)
    header, rows = _rows((tmp_path / "backlog.csv").read_text())
    assert "Summary" in header and rows == []
    assert json.loads((tmp_path / "backlog.json").read_text()) == []


def test_unknown_roi_says_unknown_not_nan(ranking) -> None:
    # an item with zero effort has no ROI (null): the exports say so instead of printing "nan"
    df = ranking.copy()
    df.loc[df.index[0], "roi"] = float("nan")
    for text in (backlog_csv(df, export_all=True), backlog_md(df, export_all=True)):
        assert not re.search(r"\bnan\b", text, re.I)
    assert "ROI unknown" in backlog_csv(df, export_all=True)
