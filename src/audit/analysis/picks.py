"""What became of last meetings' picks: progress on the units each item serves, and, once done, its effect.

One row per pick recorded in decisions.yaml before this snapshot (`picks` table):

    units_at_pick   units the item's rule matched in the newest analysed snapshot on or before the
                    meeting (its `item_hits`); null when no such snapshot exists
    units_now       units the rule still matches in this snapshot (0: nothing left to do)
    effect          for a done pick, the delivery figures of the units served at pick time, before vs
                    after the day it was marked done, each with the weeks of history behind it; "too
                    early to tell" while either side has fewer than MIN_WEEKS weeks

The figures are this snapshot's deploy events (`audit.analysis.delivery`), so they cover its crawl's
history window: a change done long ago has no "before" left in the window and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

import pandas as pd

from audit.analysis.delivery import period_figures
from audit.analysis.frames import conform
from audit.config.decisions import Decisions
from audit.store.snapshots import Snapshot, complete_snapshots

MIN_WEEKS = 2.0  # weeks of history on each side before an effect is shown (docs/decisions.md)
FIGURES = ("deploys_per_week", "change_failure_rate", "time_to_restore_hours")


def _hits_by_day(snapshot: Snapshot) -> Callable[[date], dict[str, set[str]] | None]:
    """item_id -> units its rule matched in the newest analysed snapshot on or before a day (the
    snapshots are listed once, each item_hits table read once, however many picks ask)."""
    analysed = [s for s in complete_snapshots(snapshot.path.parent.parent) if "item_hits" in s.analysis_tables()]
    read: dict[str, dict[str, set[str]]] = {}

    def at(day: date) -> dict[str, set[str]] | None:
        snap = next((s for s in reversed(analysed) if date.fromisoformat(s.date) <= day), None)
        if snap is None:
            return None
        if snap.date not in read:
            read[snap.date] = snap.table("item_hits").groupby("item_id")["unit_id"].agg(set).to_dict()
        return read[snap.date]

    return at


def _start(day: date) -> pd.Timestamp:
    return pd.Timestamp(datetime.combine(day, time.min, tzinfo=UTC))


def picks_table(decisions: Decisions | None, snapshot: Snapshot, hits: pd.DataFrame, events: pd.DataFrame,
                titles: dict[str, str], *, window_days: float | None) -> pd.DataFrame:
    """The `picks` table for `snapshot` (see the module docstring)."""
    today = date.fromisoformat(snapshot.date)
    rows = []
    now_hits = hits.groupby("item_id")["unit_id"].agg(set).to_dict() if len(hits) else {}
    hits_at = _hits_by_day(snapshot)
    end = _start(today)
    window_start = end - pd.Timedelta(days=window_days) if window_days else (
        events["time"].min() if len(events) else end)
    for meeting, pick in (decisions.picks() if decisions else []):
        if meeting >= today:
            continue
        at_pick = hits_at(meeting)
        served = None if at_pick is None else at_pick.get(pick.item, set())
        row = {"item_id": pick.item, "title": titles.get(pick.item, pick.item), "owner": pick.owner,
               "sprint": pick.sprint, "status": pick.status, "picked_on": meeting.isoformat(),
               "updated": pick.updated.isoformat() if pick.updated else None,
               "units_at_pick": None if served is None else len(served),
               "units_now": len(now_hits.get(pick.item, set()))}
        row["effect"] = {"done": "", "dropped": "dropped"}.get(pick.status, "not done yet")
        if pick.status == "done":
            done = _start(pick.updated or meeting)
            mine = events[events["unit_id"].isin(served or set())]
            before, after = period_figures(mine, window_start, done), period_figures(mine, done, end)
            for name in FIGURES:
                row[f"{name}_before"], row[f"{name}_after"] = before[name], after[name]
            row["weeks_before"], row["weeks_after"] = before["weeks"], after["weeks"]
            if served is None:
                row["effect"] = "unknown: no analysed snapshot from the meeting says which units it served"
            elif not served:
                row["effect"] = "nothing to measure: the rule matched no unit at the meeting"
            elif min(before["weeks"], after["weeks"]) < MIN_WEEKS:
                row["effect"] = (f"too early to tell: {before['weeks']:.1f} weeks before and {after['weeks']:.1f} "
                                 f"after done (needs {MIN_WEEKS:g} on each side)")
            else:
                row["effect"] = "measured"
        rows.append(row)
    return conform("picks", pd.DataFrame(rows))
