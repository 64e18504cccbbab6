"""The `picks` table: last meetings' picks, their progress on the units they served, and their effect."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from audit.analysis.picks import MIN_WEEKS, picks_table
from audit.config.decisions import Decisions, Meeting, Pick
from audit.store import write_snapshot
from audit.store.snapshots import open_snapshot, write_analysis

A = "111111111111"
U1, U2, U3 = (f"{A}/eu-west-1/pipeline/{n}" for n in ("web", "api", "etl"))
NOW = "2026-11-30"
WINDOW_DAYS = 56  # history from 2026-10-05


def _hits(*pairs: tuple[str, str]) -> list[dict]:
    return [{"item_id": item, "account_id": A, "unit_id": unit} for item, unit in pairs]


def _events() -> pd.DataFrame:
    """web and api: before 2026-11-09 a deploy a day, every other one failing and fixed 4 h later;
    after it, one deploy every other day, none failing. etl deploys daily throughout."""
    rows = []
    start = datetime(2026, 10, 5, 10, tzinfo=UTC)
    for day in range(56):
        t = start + timedelta(days=day)
        for unit in (U1, U2):
            if t < datetime(2026, 11, 9, tzinfo=UTC):
                failed = day % 2 == 0
                rows.append((unit, t, not failed, True))
                if failed:
                    rows.append((unit, t + timedelta(hours=4), True, True))
            elif day % 2 == 0:
                rows.append((unit, t, True, True))
        rows.append((U3, t, True, True))
    ev = pd.DataFrame(rows, columns=["unit_id", "time", "ok", "deploy"])
    ev["time"] = pd.to_datetime(ev["time"], utc=True)
    return ev.sort_values(["unit_id", "time"], ignore_index=True)


@pytest.fixture()
def snapshot(tmp_path: Path):
    """An analysed snapshot from the first meeting (item_hits) and this week's."""
    then = write_snapshot(tmp_path, "2026-11-02", {"accounts": []}, section="crawl")
    write_analysis(then, {"item_hits": _hits(("notify", U1), ("notify", U2), ("scan", U3))})
    return open_snapshot(write_snapshot(tmp_path, NOW, {"accounts": []}, section="crawl"))


def test_progress_and_measured_effect(snapshot) -> None:
    decisions = Decisions(meetings=[
        Meeting(date=date(2026, 11, 2), picks=[
            Pick(item="notify", owner="web", sprint="22", status="done", updated=date(2026, 11, 9)),
            Pick(item="scan", owner="ops", status="in-progress", updated=date(2026, 11, 20))]),
        Meeting(date=date(2026, 11, 23), picks=[Pick(item="gates", owner="web", status="done",
                                                     updated=date(2026, 11, 25))]),
        Meeting(date=date(2026, 11, 30), picks=[Pick(item="later", owner="web")]),  # this week's: not yet
    ])
    now_hits = pd.DataFrame(_hits(("notify", U2), ("scan", U3)))  # web no longer matches the rule
    got = picks_table(decisions, snapshot, now_hits, _events(), {"notify": "Pipeline notifications"},
                      window_days=WINDOW_DAYS).set_index("item_id")
    assert list(got.index) == ["notify", "scan", "gates"]
    notify = got.loc["notify"]
    assert (notify.title, notify.owner, notify.sprint, notify.status) == ("Pipeline notifications", "web", "22", "done")
    assert (notify.units_at_pick, notify.units_now) == (2, 1)
    assert notify.effect == "measured"
    assert notify.weeks_before == pytest.approx(5.0) and notify.weeks_after == pytest.approx(3.0)
    # before, per unit: 18 even days (a failed deploy and its fix) + 17 odd days = 53 deploys, 18 failed, in
    # 5 weeks; after: 10 even days in 3 weeks. etl (not served) is left out.
    assert notify.deploys_per_week_before == pytest.approx(106 / 5)
    assert notify.deploys_per_week_after == pytest.approx(20 / 3)
    assert notify.change_failure_rate_before == pytest.approx(36 / 106)
    assert notify.change_failure_rate_after == 0
    assert notify.time_to_restore_hours_before == pytest.approx(4.0)
    assert pd.isna(notify.time_to_restore_hours_after)
    scan = got.loc["scan"]
    assert (scan.units_at_pick, scan.units_now, scan.effect) == (1, 1, "not done yet")
    gates = got.loc["gates"]
    assert (gates.units_at_pick, gates.effect) == (0, "nothing to measure: the rule matched no unit at the meeting")


def test_too_early_below_the_minimum(snapshot) -> None:
    done = date.fromisoformat(NOW) - timedelta(days=int(7 * MIN_WEEKS) - 1)
    decisions = Decisions(meetings=[Meeting(date=date(2026, 11, 2), picks=[
        Pick(item="notify", owner="web", status="done", updated=done)])])
    got = picks_table(decisions, snapshot, pd.DataFrame(_hits()), _events(), {}, window_days=WINDOW_DAYS)
    assert got.loc[0, "effect"].startswith("too early to tell: ") and f"needs {MIN_WEEKS:g}" in got.loc[0, "effect"]
    assert got.loc[0, "units_now"] == 0


def test_no_snapshot_from_the_meeting_is_unknown(tmp_path: Path) -> None:
    alone = open_snapshot(write_snapshot(tmp_path, NOW, {"accounts": []}, section="crawl"))
    decisions = Decisions(meetings=[Meeting(date=date(2026, 11, 2), picks=[
        Pick(item="notify", owner="web", status="done", updated=date(2026, 11, 9))])])
    got = picks_table(decisions, alone, pd.DataFrame(_hits(("notify", U2))), _events(), {}, window_days=WINDOW_DAYS)
    assert pd.isna(got.loc[0, "units_at_pick"]) and got.loc[0, "units_now"] == 1
    assert got.loc[0, "effect"].startswith("unknown: no analysed snapshot")


def test_no_decisions_no_rows(snapshot) -> None:
    assert picks_table(None, snapshot, pd.DataFrame(_hits()), _events(), {}, window_days=WINDOW_DAYS).empty
