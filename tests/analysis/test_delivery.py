"""Delivery metrics by hand: deploys, failure rate, restore, lead time, sprint-end share, unknowns."""

from __future__ import annotations

import pandas as pd
import pytest

from audit.analysis.delivery import delivery, sprint_end_flags
from audit.analysis.units import build_units

from .inventory import REGION, A, surveys


@pytest.fixture
def table(inv):
    return delivery(inv, build_units(inv), surveys(), window_days=28).set_index(["level", "key"])


def test_alpha_unit_by_hand(table):
    row = table.loc[("unit", f"{A}/{REGION}/pipeline/web-alpha")]
    # e1 ok (Thu in the sprint's last week), e2 failed, e3 ok 3 h later (Tue: off-cycle), e4 ok (Thu)
    assert row.deploys == 4 and row.failures == 1
    assert row.deploys_per_week == pytest.approx(1.0)  # 4 deploys / 4 weeks
    assert row.change_failure_rate == pytest.approx(0.25)
    assert row.time_to_restore_hours == pytest.approx(3.0)
    assert row.lead_time_hours == pytest.approx(18.0)  # (24 h + 12 h) / 2; e3 has no revision time
    assert (row.sprint_end_releases, row.hotfix_releases) == (2, 1)
    assert row.sprint_end_share == pytest.approx(2 / 3)


def test_real_zero_vs_unknown(table):
    bravo = table.loc[("unit", f"222222222222/{REGION}/pipeline/web-bravo")]
    assert bravo.deploys == 0 and bravo.deploys_per_week == 0  # a pipeline with no executions: a real zero
    assert pd.isna(bravo.change_failure_rate) and pd.isna(bravo.time_to_restore_hours)
    charlie = table.loc[("unit", f"333333333333/{REGION}/pipeline/web-charlie")]
    assert pd.isna(charlie.deploys) and pd.isna(charlie.deploys_per_week)  # history collector failed there
    manual = table.loc[("unit", f"444444444444/{REGION}/manual/legacy")]
    assert pd.isna(manual.deploys)  # no history source at all
    assert pd.isna(table.loc[("client", "echo")].deploys)  # crawl failed
    assert table.loc[("client", "echo")].team == "data"  # no units, but accounts.yaml names its team
    assert pd.isna(table.loc[("team", "ops")].deploys)
    assert table.loc[("client", "bravo")].deploys == 0
    assert table.loc[("client", "alpha")].deploys == 4
    web = table.loc[("team", "web")]
    assert (web.deploys, web.failures, web.sprint_end_releases) == (4, 1, 2)


def test_sprint_window_without_release_weekday():
    from audit.config import SprintCalendar, Survey

    s = {"t": Survey(team="t", sprint=SprintCalendar(length_days=14, anchor="2026-01-05"))}
    times = pd.Series(pd.to_datetime(["2026-01-15", "2026-01-16", "2026-01-17", "2026-01-18", "2026-01-19",
                                      "2026-01-20", "2026-01-21", "2026-01-19"], utc=True))
    flags = sprint_end_flags(times, pd.Series(["t"] * 7 + ["other"]), s)
    # the last 3 days of the sprint (Jan 16-18) and the first 2 of the next (Jan 19-20) are sprint-end;
    # a team without a calendar is unknown
    assert flags.tolist()[:7] == [False, True, True, True, True, True, False] and pd.isna(flags[7])


def test_rollback_restores_and_tag_time_gives_lead_time():
    """A CodeDeploy rollback 30 min after a failed run restores the unit; it is not a deploy itself."""
    acct = "777777777777"
    where = {"account_id": acct, "client": "kilo", "region": "eu-west-1"}
    inv = {
        "accounts": pd.DataFrame([{"account_id": acct, "client": "kilo", "teams": ["java"], "status": "ok"}]),
        "pipelines": pd.DataFrame([{**where, "name": "java-app", "arn": "arn:java-app", "source_provider": "S3",
                                    "deploy_providers": ["CodeDeploy"], "codedeploy_targets": ["app/grp"],
                                    "build_providers": ["CodeBuild"]}]),
        "pipeline_executions": pd.DataFrame([
            {**where, "pipeline_name": "java-app", "status": "Failed",
             "end_time": pd.Timestamp("2026-03-02T10:00Z"), "source_revision": "bad"},
            {**where, "pipeline_name": "java-app", "status": "Succeeded",
             "end_time": pd.Timestamp("2026-03-03T10:00Z"), "source_revision": "abc"}]),
        "codedeploy_deployments": pd.DataFrame([
            {**where, "application_name": "app", "group_name": "grp", "status": "Succeeded", "rollback": True,
             "create_time": pd.Timestamp("2026-03-02T10:10Z"), "complete_time": pd.Timestamp("2026-03-02T10:30Z")}]),
        "repo_activity": pd.DataFrame([{"repo": "java-app", "team": "java", "tag": "v1", "commit": "abc",
                                        "tagged_at": pd.Timestamp("2026-03-03T08:00Z"), "release_kind": "sprint-end"}]),
    }
    units = build_units(inv)
    row = delivery(inv, units, {}, window_days=7).set_index(["level", "key"]).loc[("unit", units["unit_id"][0])]
    assert (row.deploys, row.failures) == (2, 1)  # the rollback is not counted as a deploy
    assert row.time_to_restore_hours == pytest.approx(0.5)
    assert row.lead_time_hours == pytest.approx(2.0)  # tag time of the deployed commit -> deploy end
    assert pd.isna(row.sprint_end_share)  # no sprint calendar for java: unknown
