"""The demo's week of change: which client counts as onboarded this week, and the date of last week.

The full effect (a snapshot dated a week earlier, account-added and fingerprint-changed drift in the
report) is checked end to end by tests/report/test_weekly.py::test_demo_command_end_to_end.
"""

from __future__ import annotations

from types import SimpleNamespace

from audit.demo.lastweek import newest_client, week_before
from audit.demo.model import build_model


def test_week_before_crosses_month_and_year() -> None:
    assert week_before("2026-11-26") == "2026-11-19"
    assert week_before("2026-01-03") == "2025-12-27"


def test_newest_client_is_the_last_healthy_one_and_small_fleets_keep_everyone() -> None:
    model = build_model(10)
    newest = newest_client(SimpleNamespace(model=model))
    assert newest is not None and newest.name == model.clients[-1].name
    assert newest.account_id not in model.assume_role_denied
    assert newest_client(SimpleNamespace(model=build_model(4))) is None  # the 4 fixed clients always stay
