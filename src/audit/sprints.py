"""The team survey's sprint calendar: which days are a sprint's release window.

One rule for release tags (the scan's `repo_activity.release_kind`, `repos.follows_sprint_calendar`)
and deploys (the analysis's `delivery.sprint_end_share`). A release on day D (UTC) is **sprint-end**
when D is in the release window of a sprint, and **off-cycle** (a hotfix) otherwise:

- the survey names a `release_weekday` (the team's stated release day): the window is that weekday
  within a sprint's last 7 days, and the day after it (a release cut late deploys next morning);
- it does not: the window is the sprint boundary, the last BEFORE_END days of a sprint and the first
  AFTER_END days of the next one (teams release at the end of a sprint or right after its review).

With 14-day sprints starting on a Monday: Fri-Sun of week two and Mon-Tue of the next sprint; with
`release_weekday: thu`, Thu-Fri of week two only.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, Protocol, get_args

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)  # index = date.weekday()
BEFORE_END = 3
AFTER_END = 2


class Calendar(Protocol):
    """What the rule reads of a survey's `sprint:` (config's SprintCalendar)."""

    @property
    def anchor(self) -> date: ...

    @property
    def length_days(self) -> int: ...

    @property
    def release_weekday(self) -> Weekday | None: ...


def sprint_day(day: date, calendar: Calendar) -> int:
    """0 for a sprint's first day ... length_days - 1 for its last."""
    return (day - calendar.anchor).days % calendar.length_days


def _release_day(day: date, calendar: Calendar) -> bool:
    return WEEKDAYS[day.weekday()] == calendar.release_weekday and \
        sprint_day(day, calendar) >= calendar.length_days - 7


def is_sprint_end(day: date, calendar: Calendar) -> bool:
    """Whether a release on `day` is a sprint-end release (see the module docstring)."""
    if calendar.release_weekday is None:
        pos = sprint_day(day, calendar)
        return pos >= calendar.length_days - BEFORE_END or pos < AFTER_END
    return _release_day(day, calendar) or _release_day(day - timedelta(days=1), calendar)
