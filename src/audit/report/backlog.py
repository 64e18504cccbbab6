"""The backlog export: backlog.csv (Jira CSV import), backlog.json (GitHub Issues), backlog.md, ranking.csv.

Every row is keyed by the catalog item id, never by a position: `Issue ID` and `External ID` are
the item id, and the label `cicd-audit-item-<id>` carries it too, so the same item has the same key
every week and a tracker can find what it imported before. The catalog decides `Issue Type`,
`Priority` and `Labels` (the pick only suggests a priority the catalog left open). An item whose
prerequisite is an Epic becomes that Epic's child (`Parent`, the Epic's item id); Epic rows come
first, as Jira's importer needs a parent before its children. Estimates: `Original Estimate` in
seconds (Jira's CSV time-tracking unit), one person-day = 8 h. The field mapping and the re-import
path are in docs/backlog.md. Cells derived from data are written with the csv module and defused
against spreadsheet formula injection.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from audit.markdown import cell
from audit.report.tables import as_list, is_missing, join_list, number, plural

JIRA_COLUMNS = ["Issue ID", "External ID", "Issue Key", "Issue Type", "Summary", "Description", "Priority",
                "Parent", "Original Estimate", "Story Points"]
RANKING_COLUMNS = ["rank", "item_id", "title", "picked", "clients", "teams", "units", "hours_saved_per_year",
                   "delay_hours_avoided_per_year", "effort_days", "roi", "cost_of_delay", "wsjf", "pick_key",
                   "pick_share", "capacity_days", "cumulative_hours", "cumulative_effort_days", "depends_on",
                   "issue_type", "priority", "labels", "client_list", "team_list", "inputs", "formula", "why"]
SECONDS_PER_DAY = 8 * 3600
ITEM_LABEL = "cicd-audit-item-"
_FIBONACCI = (1, 2, 3, 5, 8, 13, 21)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: Any) -> Any:
    """Neutralise spreadsheet formula injection: text starting with = + - @ (or tab/CR) gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def story_points(effort_days: Any) -> int | None:
    """Effort in days rounded up to the Fibonacci scale most teams estimate in."""
    if is_missing(effort_days):
        return None
    days = float(effort_days)
    return next((p for p in _FIBONACCI if days <= p), _FIBONACCI[-1])


def _label(text: str) -> str:
    """Jira labels cannot contain spaces."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "unknown"


def _picked_col(df: pd.DataFrame) -> pd.Series:
    return df["picked"].fillna(False).astype(bool) if "picked" in df.columns else pd.Series(False, index=df.index)


def selected(ranking: pd.DataFrame, *, export_all: bool = False, picked: Collection[str] | None = None
             ) -> pd.DataFrame:
    """The exported items in build order: the pick (and the meeting's `picked` items) with every
    prerequisite they need, transitively; or everything."""
    if ranking.empty:
        return ranking
    df = ranking.sort_values("rank", kind="stable")
    if export_all:
        return df.reset_index(drop=True)
    deps = {row.item_id: as_list(row.depends_on) for row in df.itertuples()}
    keep = set(df.loc[_picked_col(df), "item_id"]) | (set(picked or ()) & set(deps))
    todo = list(keep)
    while todo:
        for dep in deps.get(todo.pop(), []):
            if dep not in keep and dep in deps:
                keep.add(dep)
                todo.append(dep)
    return df[df["item_id"].isin(keep)].reset_index(drop=True)


def parent_of(row: Any, types: Mapping[str, str]) -> str | None:
    """The first prerequisite that is an Epic (catalog issue_type) is the item's parent; Epics have none."""
    if str(getattr(row, "issue_type", "") or "") == "Epic":
        return None
    return next((d for d in as_list(row.depends_on) if types.get(d) == "Epic"), None)


def _priority(row: Any, in_pick: bool) -> str:
    """The catalog's priority; only when it has none, the pick suggests High (picked) or Medium."""
    given = getattr(row, "priority", None)
    if isinstance(given, str) and given:
        return given
    return "High" if in_pick else "Medium"


def _status(item_id: str, in_pick: bool, picked: Collection[str] | None) -> str:
    if picked is not None and item_id in picked:
        return "picked"
    return "proposed" if in_pick else "candidate"


def _description(row: Any, titles: dict[str, str], day: str, status: str) -> str:
    needs = [f"{titles.get(d, d)} ({d})" for d in as_list(row.depends_on)]
    share = getattr(row, "pick_share", None)
    lines = [
        str(row.why or "").strip(),
        "",
        f"Serves {plural(row.clients, 'client')} ({join_list(row.client_list, 50)}) and "
        f"{plural(row.teams, 'team')} ({join_list(row.team_list, 20)}); {plural(row.units, 'deployable unit')}.",
        f"Saves {getattr(row, 'formula', None) or number(row.hours_saved_per_year) + ' person-h/yr'}.",
        f"Inputs: {getattr(row, 'inputs', None) or 'unknown'}.",
        f"Effort {number(row.effort_days, 1)} person-days (ROI {number(row.roi, 1)}); "
        f"WSJF key {number(getattr(row, 'pick_key', None), 1)}; build-order step {row.rank}; "
        f"in the pick in {'an unknown share' if is_missing(share) else f'{float(share):.0%}'} of re-rankings "
        "with +-30% noise.",
        "Needs first: " + (", ".join(needs) if needs else "nothing") + ".",
        "",
        f"Generated by cicd-audit from the snapshot of {day}; item id {row.item_id}; status {status}.",
    ]
    return "\n".join(lines)


def backlog_rows(ranking: pd.DataFrame, *, export_all: bool = False, day: str = "",
                 picked: Collection[str] | None = None, jira_keys: Mapping[str, str] | None = None
                 ) -> list[dict[str, Any]]:
    """One dict per exported item, Epics first, then build order (lists under 'Labels' and 'Depends on').

    `picked`: the item ids the meeting picked (decisions); None = not decided yet, the analysis' pick
    is marked `proposed`. `jira_keys`: item id -> existing Jira issue key, so a re-import updates.
    """
    df = selected(ranking, export_all=export_all, picked=picked)
    if df.empty:
        return []
    titles = dict(zip(ranking["item_id"], ranking["title"], strict=True))
    types = {i: str(t or "Story") for i, t in zip(ranking["item_id"], ranking.get("issue_type", pd.Series(
        ["Story"] * len(ranking))), strict=True)}
    exported = set(df["item_id"])
    in_pick = dict(zip(df["item_id"], _picked_col(df), strict=True))
    rows = []
    for row in df.itertuples():
        status = _status(row.item_id, bool(in_pick[row.item_id]), picked)
        parent = parent_of(row, types)
        labels = ["cicd-audit", f"{ITEM_LABEL}{row.item_id}", status]
        labels += [_label(x) for x in as_list(getattr(row, "labels", None))]
        labels += [f"team-{_label(t)}" for t in as_list(row.team_list)]
        rows.append({
            "Issue ID": row.item_id, "External ID": row.item_id,
            "Issue Key": (jira_keys or {}).get(row.item_id, ""),
            "Issue Type": types.get(row.item_id, "Story"), "Summary": str(row.title),
            "Description": _description(row, titles, day, status),
            "Priority": _priority(row, bool(in_pick[row.item_id])),
            "Parent": parent if parent in exported else "",
            "Original Estimate": None if is_missing(row.effort_days)
            else int(round(float(row.effort_days) * SECONDS_PER_DAY)),
            "Story Points": story_points(row.effort_days),
            "Labels": list(dict.fromkeys(labels)),
            "Depends on": [d for d in as_list(row.depends_on) if d in exported and d != parent],
            "item_id": row.item_id, "rank": int(row.rank), "status": status,
            "effort_days": None if is_missing(row.effort_days) else float(row.effort_days),
        })
    epics_first = sorted(range(len(rows)), key=lambda i: (rows[i]["Issue Type"] != "Epic", i))
    return [rows[i] for i in epics_first]


def backlog_csv(ranking: pd.DataFrame, *, export_all: bool = False, day: str = "",
                picked: Collection[str] | None = None, jira_keys: Mapping[str, str] | None = None) -> str:
    rows = backlog_rows(ranking, export_all=export_all, day=day, picked=picked, jira_keys=jira_keys)
    n_labels = max([len(r["Labels"]) for r in rows] + [1])
    n_links = max([len(r["Depends on"]) for r in rows] + [1])
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(JIRA_COLUMNS + ["Labels"] * n_labels + ["Depends on"] * n_links)
    for r in rows:
        labels = r["Labels"] + [""] * (n_labels - len(r["Labels"]))
        links = r["Depends on"] + [""] * (n_links - len(r["Depends on"]))
        cells = [r[c] for c in JIRA_COLUMNS] + labels + links
        writer.writerow([defuse(c) if c is not None else "" for c in cells])
    return out.getvalue()


def jira_keys_from_export(path: str | Path) -> dict[str, str]:
    """item id -> issue key from a Jira CSV export ('Issue key' column, labels `cicd-audit-item-<id>`)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return {}
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    if "issue key" not in lower:
        return {}
    key_col = lower.index("issue key")
    label_cols = [i for i, h in enumerate(lower) if h == "labels"]
    out: dict[str, str] = {}
    for r in rows[1:]:
        for i in label_cols:
            if i < len(r) and r[i].startswith(ITEM_LABEL) and key_col < len(r) and r[key_col]:
                out[r[i][len(ITEM_LABEL):]] = r[key_col]
    return out


def backlog_json(ranking: pd.DataFrame, *, export_all: bool = False, day: str = "",
                 picked: Collection[str] | None = None) -> str:
    """GitHub Issues: a JSON list, each {"title", "body", "labels"} (the REST API's create-issue fields)
    plus "item_id" and "key_label" (the label that finds the issue again); docs/backlog.md has the import line."""
    rows = backlog_rows(ranking, export_all=export_all, day=day, picked=picked)
    titles = {r["item_id"]: r["Summary"] for r in rows}
    issues = []
    for r in rows:
        body = r["Description"]
        head = [f"Type: {r['Issue Type']}; priority: {r['Priority']}; estimate: "
                f"{number(r['effort_days'], 1)} person-days."]
        if r["Parent"]:
            head.append(f"Parent epic: {titles.get(r['Parent'], r['Parent'])} (label {ITEM_LABEL}{r['Parent']}).")
        if r["Depends on"]:
            head.append("Blocked by: " + ", ".join(f"{titles.get(d, d)} (label {ITEM_LABEL}{d})"
                                                   for d in r["Depends on"]) + ".")
        labels = r["Labels"] + (["epic"] if r["Issue Type"] == "Epic" else [])
        issues.append({"item_id": r["item_id"], "key_label": f"{ITEM_LABEL}{r['item_id']}", "title": r["Summary"],
                       "body": "\n".join(head) + "\n\n" + body, "labels": labels})
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def backlog_md(ranking: pd.DataFrame, *, export_all: bool = False, day: str = "",
               picked: Collection[str] | None = None) -> str:
    rows = sorted(backlog_rows(ranking, export_all=export_all, day=day, picked=picked), key=lambda r: r["rank"])
    what = "every work item" if export_all else "the pick and what it needs first"
    out = [f"# Automation backlog ({cell(day)})", "",
           f"Generated by cicd-audit: {what}, in build order (prerequisites first).", "",
           "| # | id | work item | person-h/yr | days | WSJF key | in pick | needs first |",
           "|---|---|---|---|---|---|---|---|"]
    rank_rows = {row.item_id: row for row in ranking.itertuples()} if len(ranking) else {}
    for r in rows:
        src = rank_rows[r["item_id"]]
        needs = ", ".join(f"#{rank_rows[d].rank} {cell(rank_rows[d].title)}" for d in as_list(src.depends_on)
                          if d in rank_rows) or "—"
        share = getattr(src, "pick_share", None)
        stable = "unknown" if is_missing(share) else f"{float(share):.0%}"
        out.append(f"| {r['rank']} | {cell(r['item_id'])} | {cell(r['Summary'])} | {number(src.hours_saved_per_year)} "
                   f"| {number(src.effort_days, 1)} | {number(getattr(src, 'pick_key', None), 1)} | {stable} "
                   f"| {needs} |")
    out.append("")
    for r in rows:
        out += [f"## {r['rank']}. {cell(r['Summary'])} ({cell(r['item_id'])})", ""]
        out += [cell(line) if line else "" for line in r["Description"].split("\n")]
        out.append("")
    return "\n".join(out)


def ranking_csv(ranking: pd.DataFrame, *, export_all: bool = False) -> str:
    """Every score of the exported items, in build order (lists joined with '; ')."""
    df = ranking.sort_values("rank", kind="stable") if len(ranking) else ranking
    if not export_all and len(df):
        df = df[df["item_id"].isin(set(selected(ranking)["item_id"]))]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RANKING_COLUMNS)
    for rec in df.to_dict("records"):
        cells = []
        for col in RANKING_COLUMNS:
            value = rec.get(col)
            if col in ("depends_on", "client_list", "team_list", "labels"):
                value = "; ".join(as_list(value))
            elif is_missing(value):
                value = ""
            cells.append(defuse(value))
        writer.writerow(cells)
    return out.getvalue()


def write_backlog(ranking: pd.DataFrame, out_dir: Path, *, export_all: bool = False, day: str = "",
                  picked: Collection[str] | None = None, jira_export: Path | None = None) -> dict[str, Path]:
    """backlog.csv, backlog.json, backlog.md and ranking.csv into out_dir (UTF-8, no BOM: Jira reads the
    first header as is). `jira_export`: a Jira CSV export of the project, whose issue keys make the CSV
    update the issues imported before instead of creating them again."""
    out_dir = Path(out_dir)
    keys = jira_keys_from_export(jira_export) if jira_export and Path(jira_export).is_file() else None
    paths = {name: out_dir / name for name in ("backlog.csv", "backlog.json", "backlog.md", "ranking.csv")}
    paths["backlog.csv"].write_text(backlog_csv(ranking, export_all=export_all, day=day, picked=picked,
                                                jira_keys=keys), encoding="utf-8", newline="")
    paths["backlog.json"].write_text(backlog_json(ranking, export_all=export_all, day=day, picked=picked),
                                     encoding="utf-8")
    paths["backlog.md"].write_text(backlog_md(ranking, export_all=export_all, day=day, picked=picked),
                                   encoding="utf-8")
    paths["ranking.csv"].write_text(ranking_csv(ranking, export_all=export_all), encoding="utf-8", newline="")
    return paths
