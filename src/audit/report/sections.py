"""One function per report section; each notebook cell is one call to one of these.

Every function takes a `ReportData` and returns one displayable object (an escaped `HTML` block or
a `FigureView`), so notebooks hold no logic and the same sections are tested without a kernel.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit.report import figures as fg
from audit.report.backlog import backlog_rows
from audit.report.data import ReportData, load
from audit.report.loop import picked_last_time, trends  # noqa: F401 - the meeting loop's sections, called as sections.*
from audit.report.tables import (
    as_list,
    bullet_list,
    esc,
    expandable,
    facts,
    heading,
    hours,
    html,
    html_table,
    is_missing,
    number,
    paragraph,
    percent,
    plural,
)


def load_inventory(inventory_dir: str, snapshot_date: str = "", *, capacity_days: float = 0.0) -> ReportData:
    """The snapshot as crawled and scanned, analysed or not (notebook 01 shows its coverage and errors)."""
    return load(inventory_dir, snapshot_date, capacity_days=capacity_days, require_analysis=False)


# ---- 1. headline ---------------------------------------------------------------------------------

_DRIFT_ORDER = ("account-added", "account-removed", "fingerprint-changed", "rank-moved", "unit-added",
                "unit-removed")

def _changes(data: ReportData, limit: int = 12) -> list[str]:
    """What changed, in words (drift's `detail`), the kinds the meeting cares about first."""
    drift, summary = data.table("drift"), data.drift_summary()
    if drift.empty:
        if data.previous is not None:
            return [f"No change since {data.previous.date}."] + ([summary] if summary else [])
        return [summary or "First snapshot: nothing to compare with yet."]
    counts = drift["kind"].value_counts()
    lines = [", ".join(f"{n} {k.replace('-', ' ')}" for k, n in counts.items())]
    first = {k: i for i, k in enumerate(_DRIFT_ORDER)}
    drift = drift.sort_values("kind", key=lambda col: col.map(first).fillna(len(first)), kind="stable")
    titles = data.titles()
    for row in drift.head(limit).itertuples():
        detail = getattr(row, "detail", None)
        if isinstance(detail, str) and detail:
            lines.append(detail)
            continue  # a snapshot analysed before drift had words: its raw row, items by title
        key = titles.get(row.key, row.key) if row.kind == "rank-moved" else row.key
        lines.append(f"{row.kind}: {key} ({'—' if is_missing(row.before) else row.before} → "
                     f"{'—' if is_missing(row.after) else row.after})")
    if len(drift) > limit:
        lines.append(f"… and {len(drift) - limit} more (the drift table: cicd-audit query \"SELECT * FROM drift\")")
    return lines + ([summary] if summary else [])


def _coverage_warning(data: ReportData) -> str:
    """One sentence when the crawl gave nothing, so nobody reads empty tables as an empty fleet."""
    if data.outcome == "all-failed":
        acc = data.account_status()
        errors = data.table("errors")
        crawl = errors[errors["source"] == "crawl"] if len(errors) else errors
        classes = crawl["error_class"].fillna("other").value_counts() if len(crawl) else pd.Series(dtype=int)
        why = ", ".join(f"{k} {n}" for k, n in classes.items())
        return (f"No account could be crawled: all {acc['failed']} failed" + (f" ({why})" if why else "")
                + ". Nothing below describes the AWS accounts; see the appendix for every error.")
    if data.outcome == "empty":
        return "The crawl had no account to read: nothing below describes the AWS accounts."
    if not data.crawled:
        return "This snapshot has no crawl of the AWS accounts (only a scan): nothing below describes them."
    return ""


def headline(data: ReportData) -> HTML:
    """Accounts ok/partial/failed, repositories scanned, the date, and what changed since last time."""
    acc, repos = data.account_status(), data.repo_status()
    accounts, scanned = sum(acc.values()), repos["scanned"]
    units = data.table("units")
    manual = int((units["kind"] == "manual").sum()) if len(units) else 0
    cards = [("snapshot", data.date), ("accounts ok", acc["ok"], accounts), ("partial", acc["partial"], accounts),
             ("failed", acc["failed"], accounts), ("repositories scanned ok", repos["ok"], scanned),
             ("repos failed", repos["failed"], scanned), ("deployable units", len(units)),
             ("of them hand-made", manual, len(units)), ("errors recorded", len(data.table("errors")))]
    warning = _coverage_warning(data)
    since = f"What changed since {data.previous.date}" if data.previous else "What changed"
    return html(paragraph(warning, "warning") if warning else "", facts(cards), heading(since, 3),
                bullet_list(_changes(data)))


# ---- 2. top work items ---------------------------------------------------------------------------

def pick_summary(data: ReportData) -> str:
    """One sentence: the pick, its capacity and totals (the cards, the curve and the backlog use the same set)."""
    pick, ranking = data.pick(), data.ranking()
    cap, source = data.capacity
    if ranking.empty:
        return "No catalog item matched this snapshot."
    where = {"survey": "the teams' survey answers", "default": "the catalog's planning default",
             "parameter": "set for this report"}.get(source, source)
    if pick.empty:
        first = ranking.iloc[0]
        return (f"Nothing fits a capacity of {number(cap, 1)} person-days ({where}): the first item in build order, "
                f"{first.title}, alone takes {number(first.effort_days, 1)} days.")
    days, hrs = float(pick["effort_days"].sum()), float(pick["hours_saved_per_year"].sum())
    return (f"The next {plural(len(pick), 'item')} in build order within a capacity of {number(cap, 1)} person-days "
            f"({where}): {number(days, 1)} days of effort, {number(hrs)} person-hours saved a year, "
            f"of {number(float(ranking['effort_days'].sum()), 1)} days and "
            f"{number(float(ranking['hours_saved_per_year'].sum()))} h for all {len(ranking)} items. "
            "Sorted by WSJF key: WSJF (cost of delay / person-days), raised to that of any item it unblocks.")


def _needs(row: object, ranking: pd.DataFrame) -> str:
    """Prerequisites inline: '#2 Title (in the pick)' - always earlier in the build order."""
    by_id = {r.item_id: r for r in ranking.itertuples()}
    parts = []
    for dep in as_list(row.depends_on):
        d = by_id.get(dep)
        if d is None:
            parts.append(dep)
            continue
        state = "in the pick" if bool(d.picked) else "not picked"
        parts.append(f"#{int(d.rank)} {d.title} ({state})")
    return "; ".join(parts) if parts else "nothing"


def top_work_items(data: ReportData) -> HTML:
    """The list the meeting picks from: the pick, each card with its sort key, inputs, formula, prerequisites."""
    top, ranking = data.pick(), data.ranking()
    if top.empty:
        return html(paragraph(pick_summary(data)))
    owners = data.owners()
    kit = onboarding_kit(data)
    cards = []
    for row in top.itertuples():
        owner = owners.get(row.item_id) or f"none yet: the meeting assigns one (cicd-audit decide {row.item_id} --owner TEAM)"
        delay = "" if is_missing(row.delay_hours_avoided_per_year) or not row.delay_hours_avoided_per_year else (
            f"<dt>Cost of delay</dt><dd>~{esc(number(row.delay_hours_avoided_per_year))} calendar hours/yr of "
            "broken delivery avoided (time to restore; not counted as hours saved)</dd>")
        cards.append(
            '<div class="item">'
            f'<div class="item-title"><span class="rank">{esc(row.rank)}</span> {esc(row.title)}</div>'
            + facts([("WSJF key", number(row.pick_key, 1)), ("person-h saved / yr", number(row.hours_saved_per_year)),
                     ("effort (person-days)", number(row.effort_days, 1)),
                     ("stays in the pick", percent(row.pick_share))], css="item-facts")
            + "<dl>"
            f"<dt>Owner</dt><dd>{esc(owner)}</dd>"
            f"<dt>Serves</dt><dd>{esc(plural(row.clients, 'client'))} ({expandable(row.client_list)}); "
            f"{esc(plural(row.teams, 'team'))} ({expandable(row.team_list)}); "
            f"{esc(plural(row.units, 'unit'))}</dd>"
            f"<dt>Needs first</dt><dd>{esc(_needs(row, ranking))}</dd>"
            + (kit if "onboarding" in as_list(row.labels) else "") +
            f"<dt>Hours</dt><dd>{esc(row.formula)}</dd>"
            f"<dt>Inputs</dt><dd>{esc(row.inputs)}</dd>"
            + delay +
            f"<dt>Sort key</dt><dd>WSJF {esc(number(row.wsjf, 1))}"
            + (f", raised to {esc(number(row.pick_key, 1))} by what it unblocks" if row.pick_key > row.wsjf + 1e-9
               else "") + "</dd>"
            "</dl></div>")
    return html(paragraph(pick_summary(data)), '<div class="items">', *cards, "</div>")


def onboarding_kit(data: ReportData) -> str:
    """What the onboarding kit beside the report (onboarding/) would create, per client: the card of
    every onboarding item links to it."""
    df = data.table("onboarding")
    emitted = df[df["resource_type"].notna()] if len(df) else df
    if emitted.empty:
        return ""
    size = emitted.drop_duplicates(["item_kind", "item"]).shape[0]
    adds = emitted[emitted["status"] == "lacks"].groupby("client").size()
    changes = emitted[emitted["status"] == "differs"].groupby("client").size()
    per_client = "; ".join(f"{c} +{int(adds.get(c, 0))}" + (f" ~{int(changes[c])}" if c in changes else "")
                           for c in sorted(set(adds.index) | set(changes.index)))
    return ("<dt>Onboarding kit</dt><dd>"
            f'<a href="onboarding/baseline.yaml">baseline.yaml</a>: {esc(plural(size, "resource"))} '
            f"of the baseline as found; it would add (+) or change (~) per client: {esc(per_client or 'nothing')}. "
            '<a href="onboarding/plan.md">plan.md</a> says how to roll it out, '
            '<a href="onboarding/options.md">options.md</a> which multi-account option fits each team.</dd>')


def rank_stability(data: ReportData) -> fg.FigureView:
    return fg.FigureView(fg.rank_stability(data.ranking()))


def ranking_table(data: ReportData) -> HTML:
    """Every scored item with every score, in build order (notebook 03)."""
    return html_table(data.ranking(), {
        "rank": "#", "item_id": "id", "title": "work item", "picked": "picked", "clients": "clients",
        "teams": "teams", "units": "units", "hours_saved_per_year": "person-h/yr",
        "delay_hours_avoided_per_year": "delay h/yr", "effort_days": "days", "wsjf": "WSJF",
        "pick_key": "WSJF key", "pick_share": "in pick", "depends_on": "needs first", "inputs": "inputs"},
        {"hours_saved_per_year": number, "delay_hours_avoided_per_year": number, "effort_days": lambda v: number(v, 1),
         "wsjf": lambda v: number(v, 1), "pick_key": lambda v: number(v, 1), "pick_share": percent},
        empty="No catalog item matched this snapshot.")


def dependency_order(data: ReportData) -> HTML:
    """The order to build in: never an item before its prerequisites, with the running totals."""
    return html_table(data.ranking(), {"rank": "step", "title": "work item", "picked": "picked",
                                       "depends_on": "needs first", "cumulative_effort_days": "total days",
                                       "cumulative_hours": "total person-h/yr"},
                      {"cumulative_effort_days": lambda v: number(v, 1), "cumulative_hours": number},
                      empty="No catalog item matched this snapshot.")


# ---- findings -----------------------------------------------------------------------------------

def findings(data: ReportData) -> HTML:
    """Risks as risks: per kind, how many resources at which clients, and the work item that fixes them."""
    df = data.table("risk_findings")
    if df.empty:
        return html(paragraph("No plaintext secret, CI user with an active access key, ECR repository without "
                              "scan-on-push or unmanaged compute was found in this snapshot."))
    ranking = data.ranking()
    items = {r.item_id: r for r in ranking.itertuples()} if len(ranking) else {}

    def fix(ids: pd.Series) -> str:
        found = sorted({i for i in ids if isinstance(i, str)}, key=lambda i: items[i].rank if i in items else 10**6)
        if not found:
            return "no catalog item covers it"
        return "; ".join(f"#{items[i].rank} {items[i].title}" + (" (in the pick)" if bool(items[i].picked) else "")
                         if i in items else i for i in found)

    summary = [{"what": g["title"].iloc[0], "resources": len(g), "clients": g["client"].nunique(),
                "client_list": sorted(g["client"].dropna().unique()), "fixed by": fix(g["item_id"])}
               for _, g in df.groupby("kind", sort=True)]
    detail = df.sort_values(["kind", "client", "resource"], kind="stable")
    return html(html_table(pd.DataFrame(summary), {"what": "finding", "resources": "resources",
                                                   "clients": "clients", "client_list": "at",
                                                   "fixed by": "fixed by"}).data,
                heading("Every finding", 3),
                html_table(detail, {"title": "finding", "client": "client", "region": "region",
                                    "resource": "resource", "detail": "detail", "item_id": "fixed by (item id)"}).data)


# ---- 3. overlap ----------------------------------------------------------------------------------

def overlap_heatmap(data: ReportData, dimension: str = "client") -> fg.FigureView:
    """Clients (or teams) x patterns; clients whose crawl failed are shown as "not crawled"."""
    failed = data.not_crawled() if dimension == "client" else []
    return fg.FigureView(fg.overlap_heatmap(data.table("overlap"), dimension, not_crawled=failed))


def pattern_families(data: ReportData) -> fg.FigureView:
    return fg.FigureView(fg.pattern_families(data.table("patterns")))


def similarity(data: ReportData) -> fg.FigureView:
    return fg.FigureView(fg.similarity_heatmap(data.table("similarity")))


def patterns_table(data: ReportData, limit: int = 25) -> HTML:
    df = data.table("patterns")
    df = df.sort_values(["clients", "units"], ascending=False, kind="stable").head(limit) if len(df) else df
    return html_table(df, {"fingerprint": "pattern", "family": "family", "clients": "clients", "teams": "teams",
                           "units": "units", "team_list": "teams using it"}, empty="No deployable units found.")


def drifting_clients(data: ReportData) -> HTML:
    """Clients whose setup deviates from the dominant pattern of the team serving them, and why (the
    parts that differ); clients whose units no team could be given, or that were not crawled, too."""
    df = data.table("team_drift")
    if len(df):
        status = df["status"] if "status" in df.columns else df["deviates"].map({True: "drifts"})
        df = df[status.isin(["drifts", "unattributed", "not crawled"]).to_numpy()].assign(
            status=status[status.isin(["drifts", "unattributed", "not crawled"])].to_numpy())
    return html_table(df, {"team": "team", "client": "client", "status": "status",
                           "differences": "what differs", "dominant_fingerprint": "team's usual pattern",
                           "client_fingerprints": "what this client runs"},
                      empty="No client drifts from its team's usual pattern.")


def manual_units(data: ReportData, limit: int = 30) -> HTML:
    """Resources no pipeline or stack owns: the hand-made part of the estate."""
    units = data.table("units")
    df = units[units["kind"] == "manual"] if len(units) else units
    note = ""
    if len(df) > limit:
        note = paragraph(f"Showing {limit} of {len(df)} manual units; the full list is in notebook 02.")
    df = df.sort_values(["client", "name"], kind="stable").head(limit) if len(df) else df
    return html(html_table(df, {"client": "client", "team": "team", "region": "region", "target": "what",
                                "name": "name"}, empty="Every resource is owned by a pipeline or stack.").data,
                note)


def team_drift_table(data: ReportData) -> HTML:
    return html_table(data.table("team_drift"), {"team": "team", "client": "client",
                                                 "dominant_fingerprint": "team's usual pattern",
                                                 "client_fingerprints": "client's patterns", "deviates": "drifts"})


# ---- 4. payoff -----------------------------------------------------------------------------------

def payoff_curve(data: ReportData) -> fg.FigureView:
    return fg.FigureView(fg.payoff_curve(data.ranking()))


def payoff_summary(data: ReportData) -> HTML:
    """The pick's totals against everything, in the same numbers as the cards and the backlog."""
    return html(paragraph(pick_summary(data)))


# ---- 5. delivery ---------------------------------------------------------------------------------

def delivery_frequency(data: ReportData, level: str = "client") -> fg.FigureView:
    return fg.FigureView(fg.delivery_frequency(data.table("delivery"), level))


def release_mix(data: ReportData, level: str = "team") -> fg.FigureView:
    return fg.FigureView(fg.release_mix(data.table("delivery"), level))


def delivery_table(data: ReportData, level: str = "team") -> HTML:
    """Deploy frequency, change failure rate, time to restore, lead time, sprint-end vs hotfix."""
    df = data.table("delivery")
    df = df[df["level"] == level].sort_values("key", kind="stable") if len(df) else df
    cols = {"key": level}
    if level == "client":
        cols["team"] = "team"
    cols |= {"deploys": "deploys", "deploys_per_week": "per week", "change_failure_rate": "failure rate",
             "time_to_restore_hours": "time to restore", "lead_time_hours": "lead time",
             "sprint_end_releases": "sprint-end releases", "hotfix_releases": "hotfixes",
             "sprint_end_share": "sprint-end share"}
    return html_table(df, cols, {"deploys": number, "deploys_per_week": lambda v: number(v, 1),
                                 "change_failure_rate": percent, "time_to_restore_hours": hours,
                                 "lead_time_hours": hours, "sprint_end_releases": number,
                                 "hotfix_releases": number, "sprint_end_share": percent},
                      empty="No delivery history in this snapshot.")


# ---- 6. onboarding baseline ----------------------------------------------------------------------

def baseline(data: ReportData) -> HTML:
    """The onboarding checklist nobody wrote down: what most client accounts have, and who lacks it."""
    df = data.table("baseline")
    df = df.sort_values(["coverage", "item_kind", "item"], ascending=[False, True, True], kind="stable") \
        if len(df) else df
    df = df.assign(have=[f"{a} / {t}" for a, t in zip(df["accounts_with"], df["accounts_total"], strict=True)])
    return html_table(df, {"item_kind": "kind", "item": "checklist item", "coverage": "coverage",
                           "have": "accounts", "missing_clients": "missing in"},
                      {"coverage": percent}, empty="No baseline item reaches the coverage threshold.")


# ---- 7. appendix ---------------------------------------------------------------------------------

def coverage_summary(data: ReportData) -> HTML:
    acc, repos = data.account_status(), data.repo_status()
    errors = data.table("errors")
    by_class = errors["error_class"].fillna("other").value_counts() if len(errors) else pd.Series(dtype=int)
    lines = [f"{acc['ok']} accounts complete, {acc['partial']} partial, {acc['failed']} failed.",
             f"{repos['scanned']} repositories scanned, {repos['failed']} failed.",
             "Errors by class: " + (", ".join(f"{k} {v}" for k, v in by_class.items()) or "none") + "."]
    return html(bullet_list(lines))


def account_coverage(data: ReportData) -> HTML:
    df = data.table("accounts")
    df = df.sort_values(["status", "client"], kind="stable") if len(df) else df
    return html_table(df, {"client": "client", "account_id": "account", "teams": "teams", "regions": "regions",
                           "status": "status", "error_count": "errors", "calls": "API calls"},
                      empty="No account was crawled for this snapshot.")


def repo_coverage(data: ReportData) -> HTML:
    df = data.repos()
    df = df.sort_values(["team", "repo"], kind="stable") if len(df) else df
    return html_table(df, {"team": "team", "repo": "repository", "status": "status", "clients": "clients",
                           "commits_90d": "commits (90 d)", "skipped_count": "files skipped"},
                      {"commits_90d": number, "skipped_count": number},
                      empty="No repository was scanned for this snapshot.")


def errors(data: ReportData) -> HTML:
    """Every error, so nobody mistakes missing data for absence."""
    df = data.table("errors")
    df = df.sort_values(["source", "client", "region", "collector"], kind="stable") if len(df) else df
    return html_table(df, {"source": "source", "client": "client", "account_id": "account", "region": "region",
                           "collector": "collector / repo", "operation": "operation", "error_class": "class",
                           "error_code": "code", "message": "message"}, empty="No errors: coverage is complete.")


def unmatched_sources(data: ReportData) -> HTML:
    """Pipeline sources that match no scanned repository (found by the analysis)."""
    if not data.analysed:
        return html(paragraph("Not analysed yet: the analysis (cicd-audit analyze) links pipeline sources to repositories."))
    return html_table(data.table("unmatched_sources"),
                      {"client": "client", "pipeline_name": "pipeline", "source_provider": "provider",
                       "source_repository": "repository", "source_branch": "branch"},
                      empty="Every pipeline source matches a repository in repos.yaml.")


def backlog_preview(data: ReportData, export_all: bool = False) -> HTML:
    """The rows backlog.csv will hold (the pick and their epics, or everything)."""
    rows = pd.DataFrame(backlog_rows(data.ranking(), export_all=export_all))
    return html_table(rows, {"Issue ID": "id", "Issue Type": "type", "Summary": "summary", "Priority": "priority",
                             "Parent": "parent", "Original Estimate": "estimate"},
                      empty="Nothing to export.")
