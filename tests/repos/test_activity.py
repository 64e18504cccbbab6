"""Release kinds against the sprint calendar (pure functions; history reading is in test_scan)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from audit.config import SprintCalendar
from audit.repos.activity import follows_calendar, release_kind

CAL = SprintCalendar(length_days=14, anchor=date(2026, 1, 5))  # Mon; sprints end on Sundays Jan 18, Feb 1


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day + "T12:00:00").replace(tzinfo=UTC)


def test_release_kinds():
    assert release_kind("v1.2.0", _at("2026-01-17"), CAL) == "sprint-end"
    assert release_kind("v1.2.1", _at("2026-01-10"), CAL) == "hotfix"  # off-cycle
    assert release_kind("hotfix-login", _at("2026-01-18"), CAL) == "hotfix"  # named as one
    assert release_kind("v1.2.0", _at("2026-01-10"), None) == "other"  # no calendar: unknown
    assert release_kind("v1.3.0", _at("2026-01-20"), CAL) == "sprint-end"  # day 2 of the next sprint
    thursday = SprintCalendar(length_days=14, anchor=date(2026, 1, 5), release_weekday="thu")
    assert release_kind("v2", _at("2026-01-15"), thursday) == "sprint-end"  # release day, last week
    assert release_kind("v2", _at("2026-01-08"), thursday) == "hotfix"  # a thursday in week one


def test_follows_calendar():
    assert follows_calendar(["sprint-end"] * 3 + ["hotfix"]) is True
    assert follows_calendar(["sprint-end", "hotfix"]) is False
    assert follows_calendar(["other", "other"]) is None and follows_calendar([]) is None
