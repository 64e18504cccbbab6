"""The release calendar: pure, deterministic, sprint-end releases on the survey's weekday, hotfixes
clearly off-cycle, every release tagging its own commit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from audit.demo.configs import SPRINTS
from audit.demo.model import build_model
from audit.demo.releases import HOTFIX_SPRINT_DAYS, WEEKDAYS, plan_releases, sprint_releases

NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)


def test_plan_is_deterministic_for_seed_and_now():
    model = build_model(4, seed=3)
    a, b = plan_releases(model, NOW, 12), plan_releases(model, NOW, 12)
    assert {r: (p.commits, p.releases) for r, p in a.items()} == {r: (p.commits, p.releases) for r, p in b.items()}
    other = plan_releases(build_model(4, seed=4), NOW, 12)
    assert any(a[r].commits != other[r].commits for r in a)


def test_sprint_releases_fall_on_the_release_weekday_of_the_last_week():
    for team, cal in SPRINTS.items():
        days = sprint_releases(team, NOW.date() - timedelta(weeks=12), NOW.date())
        assert 5 <= len(days) <= 7
        for number, day in days:
            pos = (day - cal["anchor"]).days
            assert pos // cal["length_days"] == number
            assert pos % cal["length_days"] >= cal["length_days"] - 7
            assert WEEKDAYS[day.weekday()] == cal["release_weekday"]


def test_releases_in_window_ordered_with_their_commits_and_off_cycle_hotfixes():
    plans = plan_releases(build_model(4, seed=42), NOW, 12)
    for repo, plan in plans.items():
        cal = SPRINTS[plan.team]
        assert plan.releases, repo
        assert [r.released_at for r in plan.releases] == sorted(r.released_at for r in plan.releases)
        assert [c.when for c in plan.commits] == sorted(c.when for c in plan.commits)
        assert len({r.tag for r in plan.releases}) == len(plan.releases)
        for r in plan.releases:
            assert NOW - timedelta(weeks=12) <= r.released_at <= NOW - timedelta(hours=1)
            assert r.commit in plan.commits and r.commit.when < r.released_at
            pos = (r.released_at.date() - cal["anchor"]).days % cal["length_days"]
            if r.kind == "hotfix":
                assert pos in HOTFIX_SPRINT_DAYS and r.tag.endswith(".1")
                assert r.commit.message.startswith("hotfix: ")
            else:
                assert r.tag.endswith(".0") and re.fullmatch(rf"release: sprint \d+ {re.escape(r.tag)}", r.commit.message)
