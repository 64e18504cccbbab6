"""One sprint calendar rule for release tags (scan) and deploys (analysis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from audit.analysis.delivery import sprint_end_flags
from audit.config import SprintCalendar, Survey
from audit.repos.activity import release_kind
from audit.sprints import WEEKDAYS, is_sprint_end, sprint_day

# Monday Jan 5 2026; sprints: Jan 5-18, Jan 19 - Feb 1, ...
PLAIN = SprintCalendar(length_days=14, anchor=date(2026, 1, 5))
THURSDAY = SprintCalendar(length_days=14, anchor=date(2026, 1, 5), release_weekday="thu")


def test_weekday_table_matches_date_weekday() -> None:
    assert [WEEKDAYS[date(2026, 1, 5 + i).weekday()] for i in range(7)] == list(WEEKDAYS)


@pytest.mark.parametrize(("day", "pos"), [("2026-01-05", 0), ("2026-01-18", 13), ("2026-01-19", 0),
                                          ("2025-12-21", 13), ("2026-01-11", 6)])
def test_sprint_day(day: str, pos: int) -> None:
    assert sprint_day(date.fromisoformat(day), PLAIN) == pos


def test_release_window() -> None:
    window = [d for d in (date(2026, 1, 5) + timedelta(days=i) for i in range(14)) if is_sprint_end(d, PLAIN)]
    # the last three days of the sprint and the first two of the sprint (after the previous one ended)
    assert [d.isoformat() for d in window] == ["2026-01-05", "2026-01-06", "2026-01-16", "2026-01-17",
                                               "2026-01-18"]
    thursday = {d.isoformat() for d in (date(2026, 1, 5) + timedelta(days=i) for i in range(14))
                if is_sprint_end(d, THURSDAY)}
    # a stated release day: that Thursday of the last week and the day after; not the Thursday of week one
    assert thursday == {"2026-01-15", "2026-01-16"}
    sunday = SprintCalendar(length_days=14, anchor=date(2026, 1, 5), release_weekday="sun")
    # released on the sprint's last day, deployed the next morning: the first day of the next sprint
    assert is_sprint_end(date(2026, 1, 18), sunday) and is_sprint_end(date(2026, 1, 19), sunday)
    assert not is_sprint_end(date(2026, 1, 12), sunday)  # Monday after week one's Sunday


@pytest.mark.parametrize(("calendar", "kind"), [(PLAIN, "sprint-end"), (THURSDAY, "hotfix")],
                         ids=["sprint-boundary", "stated-release-weekday"])
@pytest.mark.parametrize("day", ["2026-01-19", "2026-01-20"], ids=["first-day", "second-day"])
def test_first_days_of_a_new_sprint_tags_and_deploys_agree(calendar, kind, day) -> None:
    """A release on day 1 or 2 of a new sprint is one kind in repo_activity and in delivery alike:
    sprint-end at the sprint boundary, off-cycle when the team states another release day."""
    at = datetime.fromisoformat(f"{day}T09:30:00+00:00")
    assert release_kind("v1.3.0", at, calendar) == kind
    flags = sprint_end_flags(pd.Series(pd.to_datetime([at])), pd.Series(["web"]),
                             {"web": Survey(team="web", sprint=calendar)})
    assert flags.tolist() == [kind == "sprint-end"]


@pytest.mark.parametrize("calendar", [PLAIN, THURSDAY], ids=["sprint-boundary", "stated-release-weekday"])
def test_scan_and_analysis_agree_on_every_day(calendar) -> None:
    times = [datetime(2026, 1, 5, 23, 30, tzinfo=UTC) + timedelta(days=i) for i in range(28)]
    kinds = [release_kind("v1", t, calendar) for t in times]
    flags = sprint_end_flags(pd.Series(pd.to_datetime(times)), pd.Series(["web"] * len(times)),
                             {"web": Survey(team="web", sprint=calendar)})
    assert [k == "sprint-end" for k in kinds] == flags.tolist()
    assert "hotfix" in kinds and "sprint-end" in kinds
