"""Scoring by hand: coverage, hours (history, survey fallback), effort, ROI, WSJF, order, stability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.analysis.catalog import load_catalog
from audit.analysis.run import compute_tables
from audit.analysis.scoring import dependency_order, rank_stability

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
    out = compute_tables(inv, load_catalog(path), surveys(), top_n=2, seed=7, window_days=28)
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


def test_wsjf_rank_and_dependency_order(ranking):
    # wsjf = hours x (1 + (criticality 1 + risk 1) / 10) / effort days
    assert ranking.loc["i-ecs", "wsjf"] == pytest.approx(52.07 * 1.2 / 3.5, abs=1e-3)
    assert ranking.loc["i-base", "wsjf"] == pytest.approx(8 * 1.2 / 1)
    assert ranking.loc["i-manual", "wsjf"] == pytest.approx(30 * 1.2 / 4)
    assert ranking["rank"].to_dict() == {"i-ecs": 1, "i-base": 2, "i-manual": 3, "i-none": 4}
    # i-ecs ranks above i-manual but needs it first
    assert ranking["order"].to_dict() == {"i-base": 1, "i-manual": 2, "i-ecs": 3, "i-none": 4}
    assert ranking.sort_values("order")["cumulative_effort_days"].tolist() == [1, 5, 8.5, 9.5]
    assert ranking.sort_values("order")["cumulative_hours"].tolist() == pytest.approx([8, 38, 90.07, 90.07])
    assert "alpha, bravo, charlie" in ranking.loc["i-ecs", "why"]
    assert "Needs first: i-manual" in ranking.loc["i-ecs", "why"]
    assert "from the team survey" in ranking.loc["i-ecs", "why"]


def test_rank_stability(ranking):
    shares = ranking["top_n_share"]
    assert shares.sum() == pytest.approx(2.0)  # top 2: exactly two items per run
    assert shares["i-none"] == 0.0  # covers nothing: never in the top N
    assert shares["i-ecs"] > 0.95  # 17.9 vs 9.6 and 9.0: +-30% noise almost never overturns it
    assert 0.2 < shares["i-manual"] < shares["i-base"] < 0.8  # 9.6 vs 9.0: a coin toss, slightly biased
    h, e = np.array([10.0, 9.0]), np.array([1.0, 1.0])
    args = (h, e, np.ones(2), np.ones(2), np.array([True, True]))
    a = rank_stability(*args, top_n=1, seed=1)
    assert np.array_equal(a, rank_stability(*args, top_n=1, seed=1))  # seeded
    assert 0.5 < a[0] < 1.0 and a.sum() == pytest.approx(1.0)


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
