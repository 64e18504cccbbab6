"""The meeting loop in the report: what was picked last time and what became of it, and the trend.

    picked_last_time(data)   every pick of decisions.yaml before this snapshot (analysis `picks`):
                             status, owner, sprint, progress ("units served at the meeting -> still
                             matching now") and, once done, the effect on those units' delivery
    trends(data)             the headline figures (analysis `headline`) of this snapshot, their change
                             since the previous snapshot that has them, and a small trend over all of them
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from IPython.display import HTML

from audit.report.data import ReportData
from audit.report.tables import esc, hours, html, html_table, is_missing, number, paragraph, percent
from audit.store.snapshots import complete_snapshots

# (column, label, format, better when: "up" | "down" | None)
FIGURES: tuple[tuple[str, str, Any, str | None], ...] = (
    ("deploys_per_week", "deploys per week", lambda v: number(v, 1), "up"),
    ("change_failure_rate", "change failure rate", percent, "down"),
    ("time_to_restore_hours", "time to restore", hours, "down"),
    ("lead_time_hours", "lead time", hours, "down"),
    ("baseline_coverage", "baseline coverage", percent, "up"),
    ("findings", "security findings", number, "down"),
    ("addressable_hours", "addressable hours / year", number, None),
)
_EFFECT = (("deploys_per_week", "deploys/week", lambda v: number(v, 1)),
           ("change_failure_rate", "failure rate", percent),
           ("time_to_restore_hours", "time to restore", hours))


def _progress(row: Any) -> str:
    now = "unknown" if is_missing(row.units_now) else f"{int(row.units_now)}"
    if is_missing(row.units_at_pick):
        return f"{now} units still matching (units at the meeting unknown)"
    return f"{int(row.units_at_pick)} → {now} units still matching"


def _effect(row: Any) -> str:
    if row.effect != "measured":
        return str(row.effect)
    parts = [f"{label} {fmt(getattr(row, f'{col}_before'))} → {fmt(getattr(row, f'{col}_after'))}"
             for col, label, fmt in _EFFECT]
    return "; ".join(parts) + f" ({row.weeks_before:.0f} weeks before, {row.weeks_after:.0f} after)"


def picked_last_time(data: ReportData) -> HTML:
    """The picks of earlier meetings, newest meeting first, with progress and effect."""
    picks = data.table("picks")
    if picks.empty:
        return html(paragraph("No meeting has picked items yet: record picks with `cicd-audit decide ITEM "
                              "--owner TEAM` (docs/decisions.md), and next week's report follows them up here."))
    picks = picks.sort_values(["picked_on", "item_id"], ascending=[False, True], kind="stable")
    shown = picks.assign(progress=[_progress(r) for r in picks.itertuples()],
                         result=[_effect(r) for r in picks.itertuples()],
                         state=[f"{r.status} ({r.updated})" if not is_missing(r.updated) else r.status
                                for r in picks.itertuples()])
    counts = picks["status"].value_counts()
    summary = ", ".join(f"{int(n)} {s}" for s, n in counts.items())
    return html(paragraph(f"{len(picks)} picks from {picks['picked_on'].nunique()} meetings: {summary}."),
                html_table(shown, {"picked_on": "meeting", "title": "item", "owner": "owner", "sprint": "sprint",
                                   "state": "status", "progress": "progress", "result": "effect"}).data)


def headline_history(data: ReportData) -> pd.DataFrame:
    """The `headline` row of every complete snapshot up to this one that has it, oldest first."""
    rows = [s.table("headline").assign(snapshot_date=s.date) for s in complete_snapshots(data.snapshot.path.parent.parent)
            if s.date <= data.date and "headline" in s.analysis_tables()]
    rows = [r for r in rows if len(r)]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _spark(values: list[float]) -> str:
    """A tiny inline SVG line of the values (no script, prints as is); the last point is marked."""
    known = [(i, v) for i, v in enumerate(values) if not is_missing(v)]
    if len(known) < 2:
        return ""
    low, high = min(v for _, v in known), max(v for _, v in known)
    span, width, height = (high - low) or 1.0, 90, 22
    step = width / max(len(values) - 1, 1)
    points = [(i * step, height - 3 - (v - low) / span * (height - 6)) for i, v in known]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    x, y = points[-1]
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="trend over {len(values)} snapshots"><polyline points="{path}" fill="none" '
            f'stroke="currentColor" stroke-width="1.5"/><circle cx="{x:.1f}" cy="{y:.1f}" r="2.5"/></svg>')


def _change(now: Any, before: Any, fmt: Any, better: str | None, is_rate: bool) -> str:
    if is_missing(now) or is_missing(before):
        return "—"
    delta = float(now) - float(before)
    if abs(delta) < 1e-9:
        return "no change"
    sign = "+" if delta > 0 else "−"
    text = f"{sign}{abs(delta) * 100:.0f} pts" if is_rate else f"{sign}{fmt(abs(delta))}"
    if better is None:
        return text
    good = (delta > 0) == (better == "up")
    return f"{text} ({'better' if good else 'worse'})"


def trends(data: ReportData) -> HTML:
    """Headline figures now, their change since the previous snapshot, and the trend over all kept."""
    history = headline_history(data)
    if history.empty:
        return html(paragraph("No headline figures yet: the trend starts with the first analysed snapshot."))
    now = history.iloc[-1]
    before = history.iloc[-2] if len(history) > 1 else None
    rows = [{"figure": "accounts crawled", "now": f"{int(now.accounts_crawled)} of {int(now.accounts_total)}",
             "change": "—" if before is None else _change(now.accounts_crawled, before.accounts_crawled, number,
                                                          "up", False),
             "trend": _spark(history["accounts_crawled"].tolist())}]
    for col, label, fmt, better in FIGURES:
        rows.append({"figure": label, "now": fmt(now[col]),
                     "change": "—" if before is None else _change(now[col], before[col], fmt, better,
                                                                  col.endswith(("rate", "coverage"))),
                     "trend": _spark(history[col].tolist())})
    since = f"since {before.snapshot_date}" if before is not None else "since (first snapshot)"
    body = "".join(f"<tr><td>{esc(r['figure'])}</td><td>{esc(r['now'])}</td><td>{esc(r['change'])}</td>"
                   f"<td>{r['trend']}</td></tr>" for r in rows)  # trend: our own SVG, numbers only
    table = (f'<div class="audit-table-wrap"><table class="audit-table trends"><thead><tr><th>figure</th>'
             f"<th>now</th><th>{esc(since)}</th><th>trend ({len(history)} snapshots)</th></tr></thead>"
             f"<tbody>{body}</tbody></table></div>")
    return html(table)
