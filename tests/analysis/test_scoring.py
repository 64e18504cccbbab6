"""Scoring by hand: coverage, person-hours (history, survey fallback), delay, effort, WSJF, build order, pick."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.analysis.catalog import load_catalog
from audit.analysis.run import compute_tables
from audit.config import ManualStep, SprintCalendar, Survey
from audit.picklist import PickPlan, dependency_order, pick_list

from .inventory import surveys

CATALOG = """\
items:
  - id: i-ecs
    title: ECS pipelines
    applies_to: SELECT account_id, unit_id FROM units WHERE target = 'ecs' AND kind = 'pipeline'
    effort: {fixed_days: 2, per_unit_days: 0.5}
    payoff: {minutes_saved_per_deploy: 30, deploys_per_year: history}
    depends_on: [i-manual]
  - id: i-manual
    title: Manual units under IaC
    applies_to: SELECT account_id, unit_id FROM units WHERE kind = 'manual'
    effort: {fixed_days: 1, per_unit_days: 1}
    payoff: {hours_per_unit_per_year: 10}
  - id: i-base
    title: Account baseline
    applies_to: |
      SELECT account_id, 'account/' || account_id AS unit_id FROM accounts WHERE status <> 'failed'
    effort: {fixed_days: 1}
    payoff: {hours_per_client_per_year: 2}
  - id: i-none
    title: Matches nothing
    applies_to: SELECT account_id, arn AS unit_id FROM iam_users
    effort: {fixed_days: 1}
    payoff: {hours_per_unit_per_year: 100, risk_weight: 10}
"""


@pytest.fixture
def ranking(tmp_path, snapshot, inv):
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG)
    out = compute_tables(inv, load_catalog(path), surveys(), seed=7, window_days=28)
    return out["ranking"].set_index("item_id")


def test_coverage_hours_effort_roi(ranking):
    ecs, manual, base = ranking.loc["i-ecs"], ranking.loc["i-manual"], ranking.loc["i-base"]
    assert (ecs.units, ecs.clients, ecs.teams) == (3, 3, 1)
    # alpha: 52 deploys/yr (history) x 30 min = 26 h; bravo: a real 0; charlie: history unknown ->
    # web survey 2 deploys/sprint x 365/14 = 52.14/yr x 30 min = 26.07 h
    assert ecs.hours_saved_per_year == pytest.approx(26 + 2 * 365 / 14 / 2, abs=0.01)
    assert ecs.effort_days == pytest.approx(3.5)
    assert ecs.roi == pytest.approx(52.07 / (3.5 * 8), abs=1e-3)
    assert (manual.units, manual.clients, manual.teams, manual.hours_saved_per_year) == (3, 2, 2, 30)
    assert manual.effort_days == 4 and manual.roi == pytest.approx(30 / 32)
    assert (base.units, base.clients, base.teams, base.hours_saved_per_year, base.effort_days) == (4, 4, 3, 8, 1)
    assert list(base.team_list) == ["data", "ops", "web"]
    assert ranking.loc["i-none"].units == 0 and ranking.loc["i-none"].wsjf == 0


def test_wsjf_pick_key_and_build_order(ranking):
    # wsjf = hours x (1 + (criticality 1 + risk 1) / 10) / effort days
    assert ranking.loc["i-ecs", "wsjf"] == pytest.approx(52.07 * 1.2 / 3.5, abs=1e-3)
    assert ranking.loc["i-base", "wsjf"] == pytest.approx(8 * 1.2 / 1)
    assert ranking.loc["i-manual", "wsjf"] == pytest.approx(30 * 1.2 / 4)
    # i-manual is worth what it unblocks: it sorts with i-ecs's key, right before it
    assert ranking.loc["i-manual", "pick_key"] == pytest.approx(ranking.loc["i-ecs", "wsjf"])
    assert ranking["rank"].to_dict() == {"i-manual": 1, "i-ecs": 2, "i-base": 3, "i-none": 4}
    by_rank = ranking.sort_values("rank")
    assert list(by_rank["pick_key"]) == sorted(by_rank["pick_key"], reverse=True)  # one key, never out of order
    assert by_rank["cumulative_effort_days"].tolist() == [4, 7.5, 8.5, 9.5]
    assert by_rank["cumulative_hours"].tolist() == pytest.approx([30, 82.07, 90.07, 90.07])
    # no survey capacity: the catalog's planning default (30 person-days); i-none covers nothing
    assert set(ranking.index[ranking["picked"]]) == {"i-manual", "i-ecs", "i-base"}
    assert (ranking["capacity_days"] == 30).all() and (ranking["capacity_source"] == "default").all()
    assert "alpha, bravo, charlie" in ranking.loc["i-ecs", "why"]
    assert "Needs first: #1 i-manual" in ranking.loc["i-ecs", "why"]
    assert "deploys/yr 104 (history 2, survey 1)" in ranking.loc["i-ecs", "inputs"]
    assert ranking.loc["i-ecs", "formula"].endswith("= 52 person-h/yr")


def test_pick_is_the_build_order_prefix_within_capacity(ranking):
    df = ranking.reset_index()
    assert list(pick_list(df, 5).query("picked")["item_id"]) == ["i-manual"]  # i-ecs would make 7.5 days
    assert list(pick_list(df, 8).query("picked")["item_id"]) == ["i-manual", "i-ecs"]
    assert pick_list(df, 3)["picked"].sum() == 0  # the first item alone takes 4 days
    shares = pick_list(df, 8).set_index("item_id")["pick_share"]
    assert shares["i-none"] == 0.0
    assert 0.3 < shares["i-ecs"] < 1.0 and shares["i-manual"] >= shares["i-ecs"]  # prerequisite goes first


def test_pick_share_is_seeded_and_a_prerequisite_is_never_picked_after_its_dependent():
    plan = PickPlan(covered=np.array([True, True, True]), deps=((), (0,), ()), topo=np.array([0.0, 1.0, 2.0]))
    cod, eff = np.array([1.0, 100.0, 30.0]), np.array([2.0, 2.0, 2.0])
    a = plan.share(cod, eff, 4.0, seed=1)
    assert np.array_equal(a, plan.share(cod, eff, 4.0, seed=1))
    key, order, picked = plan.run(cod[None, :], eff[None, :], 4.0)
    assert list(order[0]) == [0, 1, 2] and list(picked[0]) == [True, True, False]
    assert key[0, 0] == pytest.approx(50.0)  # the prerequisite carries its dependent's WSJF


RESTORE = """\
planning: {person_hours_per_incident: 2}
items:
  - id: notify
    title: Pipeline notifications
    applies_to: SELECT account_id, unit_id FROM units WHERE kind = 'pipeline'
    effort: {fixed_days: 1}
    payoff: {deploys_per_year: history, failures_avoided_rate: 0.5, restore_hours: RESTORE}
"""


def _restore_item(tmp_path, inv, restore: str, team_surveys, base=None) -> tuple[pd.Series, dict]:
    """Score the item alone; `base` (units, delivery of a first run) skips recomputing the rest."""
    from audit.analysis.frames import table
    from audit.analysis.scoring import match_items, score_items

    path = tmp_path / f"restore-{restore}.yaml"
    path.write_text(RESTORE.replace("RESTORE", restore))
    catalog = load_catalog(path)
    if base is None:
        base = compute_tables(inv, catalog, team_surveys, seed=7, window_days=28)
    hits = match_items(catalog, {**inv, "units": base["units"], "delivery": base["delivery"]})
    ranking = score_items(catalog, hits, base["units"], base["delivery"], table(inv, "accounts"), team_surveys,
                          runs=10)
    return ranking.set_index("item_id").loc["notify"], base


def test_restore_time_is_cost_of_delay_never_person_hours(tmp_path, snapshot, inv):
    row, out = _restore_item(tmp_path, inv, "history", {})
    units, d = out["units"], out["delivery"].set_index("key")
    covered = units.loc[units["kind"] == "pipeline", "unit_id"]
    hist = d.reindex(covered)
    failed = (hist["deploys_per_week"] * 52 * hist["change_failure_rate"] * 0.5).fillna(0)
    assert failed.sum() > 0  # the fixture has failures to avoid
    # person-hours: failures avoided x 2 person-h per incident (the catalog default, no survey)
    assert row.hours_saved_per_year == pytest.approx(2 * failed.sum(), abs=0.01)
    assert "person-h per incident 2.0 (default)" in row.inputs
    assert row.delay_hours_avoided_per_year == pytest.approx(
        (failed * hist["time_to_restore_hours"].fillna(0)).sum(), abs=0.1)
    # a month-long restore (a monthly release train) changes the delay, never the person-hours
    month, _ = _restore_item(tmp_path, inv, "720", {}, out)
    assert month.hours_saved_per_year == pytest.approx(row.hours_saved_per_year)
    assert month.delay_hours_avoided_per_year == pytest.approx(720 * failed.sum(), abs=0.1)
    # the survey's figure replaces the default for that team's units
    teams = units.set_index("unit_id").reindex(covered)["team"]
    team = teams.dropna().iloc[0]
    survey = Survey(team=team, sprint=SprintCalendar(anchor="2026-01-05"), person_hours_per_incident=6,
                    manual_steps=[ManualStep(name="x", minutes=0)])
    surveyed, _ = _restore_item(tmp_path, inv, "history", {team: survey}, out)
    expected = sum(f * (6 if t == team else 2) for f, t in zip(failed, teams, strict=True))
    assert surveyed.hours_saved_per_year == pytest.approx(expected, abs=0.01)
    assert "survey" in surveyed.inputs and "calendar hours/yr of broken delivery" in surveyed.why


def test_dependency_order_never_before_prerequisites():
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = 12
        items = [f"i{k}" for k in range(n)]
        deps = [[items[j] for j in range(k) if rng.random() < 0.2] for k in range(n)]
        value = rng.random(n)
        order = dependency_order(items, deps, value)
        pos = {item: i for i, item in enumerate(order)}
        assert sorted(order) == sorted(items)
        assert all(pos[d] < pos[i] for i, ds in zip(items, deps, strict=True) for d in ds)
    # greedy: with no dependencies the order is by value
    assert dependency_order(["a", "b", "c"], [[], [], []], np.array([1.0, 3.0, 2.0])) == ["b", "c", "a"]


def test_rule_failing_at_analysis_time_names_item(tmp_path, snapshot, inv):
    from audit.analysis.scoring import match_items
    from audit.errors import ConfigError

    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG.replace("arn AS unit_id FROM iam_users", "unit_id FROM units WHERE CAST(target AS INTEGER) = 1"))
    units = pd.DataFrame({"account_id": ["a"], "unit_id": ["u"], "target": ["ecs"], "kind": ["pipeline"]})
    with pytest.raises(ConfigError) as exc:
        match_items(load_catalog(path, check_sql=False), {**inv, "units": units})
    assert "item 'i-none'" in str(exc.value) and "SQL failed" in str(exc.value) and exc.value.exit_code == 2
    assert Path(str(path)).name in str(exc.value)


def test_backlog_ids_are_stable_week_over_week(tmp_path, inv):
    """Two analyses of different snapshots (a client gone): the same ids for the same items."""
    from audit.analysis.frames import load_inventory
    from audit.report.backlog import backlog_rows

    from .inventory import inventory_tables, write

    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG.replace("    payoff: {hours_per_unit_per_year: 10}\n",
                                    "    payoff: {hours_per_unit_per_year: 10}\n    issue_type: Epic\n"))
    catalog = load_catalog(path)
    week1 = compute_tables(inv, catalog, surveys(), seed=7, window_days=28)["ranking"]
    tables = inventory_tables()
    gone = tables["accounts"][0]["account_id"]
    later = {name: [r for r in rows if r.get("account_id") != gone] for name, rows in tables.items()}
    week2_inv = load_inventory(write(tmp_path / "later", "2026-02-08", later))
    week2 = compute_tables(week2_inv, catalog, surveys(), seed=7, window_days=28)["ranking"]
    assert not week1[["item_id", "units"]].equals(week2[["item_id", "units"]])  # the snapshots differ

    def ids(ranking):
        return {r["item_id"]: (r["Issue ID"], r["External ID"], r["Parent"]) for r in backlog_rows(ranking, export_all=True)}

    first, second = ids(week1), ids(week2)
    assert set(first) == set(second) == {it.id for it in catalog.items}
    assert first == second
    assert all(issue_id == item_id for item_id, (issue_id, _, _) in first.items())
    assert first["i-ecs"][2] == "i-manual"  # its prerequisite is an Epic: its parent
