"""The demo fleet's known overlaps are found: dominant patterns, the drifting client, the manual units."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from audit.analysis.run import analyze
from audit.config import load_surveys
from audit.demo.model import XSS_NAME
from audit.demo.teams import ops_trial_cluster
from audit.store.snapshots import open_snapshot

CATALOG = Path(__file__).resolve().parents[2] / "inventory" / "catalog.yaml"


@pytest.fixture(scope="module")
def fleet_analysis(fleet_snapshot):
    snap = open_snapshot(fleet_snapshot.snapshot_dir)
    out = analyze(snap, CATALOG, load_surveys(fleet_snapshot.fleet.survey_dir), previous=None)
    return fleet_snapshot.fleet.model, snap, out


def _crawled(model):
    return [c for c in model.clients if c.account_id not in model.assume_role_denied]


def test_every_pipeline_is_one_unit_and_failed_accounts_have_none(fleet_analysis):
    model, snap, out = fleet_analysis
    units = out["units"]
    pipes = snap.table("pipelines")
    assert sorted(units.loc[units["kind"] == "pipeline", "name"]) == sorted(pipes["name"])
    denied = {c.name for c in model.clients if c.account_id in model.assume_role_denied}
    assert denied and not set(units["client"].dropna()) & denied
    assert units["unit_id"].is_unique and units["fingerprint"].notna().all()


def test_team_patterns_and_the_blue_green_drift(fleet_analysis):
    model, _, out = fleet_analysis
    units, drift = out["units"], out["team_drift"]
    web = units[(units["team"] == "web") & (units["kind"] == "pipeline")]
    for c in _crawled(model):
        if c.web is None:
            continue
        mine = web[(web["client"] == c.name) & (web["repo"] == c.web.repo)]
        assert len(mine) == 1
        fp = mine["fingerprint"].iloc[0]
        assert fp.startswith("github -> codebuild -> image -> cloudformation -> ecs[")
        assert ("ecs[blue-green]" in fp) == c.web.blue_green
        assert ("manual-approval" in fp) == c.web.manual_approval
    dominant = drift.drop_duplicates("team").set_index("team")["dominant_fingerprint"]
    assert "ecs[rolling]" in dominant["web"]  # most web clients roll; the blue/green one drifts
    blue = [c.name for c in _crawled(model) if c.web is not None and c.web.blue_green]
    flagged = set(drift[(drift["team"] == "web") & drift["deviates"]]["client"])
    assert blue and set(blue) <= flagged
    assert dominant["data"].endswith("-> codebuild -> zip -> sam -> lambda[all-at-once]")
    java = units[(units["team"] == "java") & (units["kind"] == "pipeline")]
    for c in _crawled(model):
        if c.java is not None:
            target = "beanstalk" if c.java.kind == "beanstalk" else "ec2"
            assert java.loc[java["client"] == c.name, "target"].tolist() == [target]


def test_manual_units_are_the_ops_resources(fleet_analysis):
    model, _, out = fleet_analysis
    manual = out["units"][out["units"]["kind"] == "manual"]
    expected = set()
    for c in _crawled(model):
        if c.ops:
            expected |= {(c.name, f"{c.name}-www-{c.account_id}"),
                         (c.name, XSS_NAME if c.index == 1 else f"{c.name}-legacy-batch")}
            if c.index % 2 == 1:
                expected.add((c.name, ops_trial_cluster(c)))
    assert expected and set(zip(manual["client"], manual["name"], strict=True)) == expected
    assert set(manual["team"]) == {"ops"}


def test_delivery_history_and_ranking_are_explained(fleet_analysis):
    model, _, out = fleet_analysis
    d = out["delivery"]
    pipes = d[(d["level"] == "unit") & d["key"].str.contains("/pipeline/")]
    known = pipes[pipes["deploys"].notna()]
    assert len(known) >= 4 and (known["deploys"] > 0).all()  # 12 weeks of seeded history
    assert known["sprint_end_share"].between(0, 1).all()
    denied = [c.name for c in model.clients if c.account_id in model.assume_role_denied]
    clients = d[d["level"] == "client"].set_index("key")
    assert all(pd.isna(clients.loc[n, "deploys"]) for n in denied)  # unknown, not zero
    r = out["ranking"]
    assert len(r) >= 12 and r["rank"].tolist() == list(range(1, len(r) + 1))
    top = r[r["units"] > 0].iloc[0]  # (an account-level prerequisite may come first in build order)
    assert top["units"] > 0 and top["why"].startswith("Covers") and top["client_list"][0] in top["why"]
    manual = r.set_index("item_id").loc["manual-resources-under-iac"]
    assert manual["units"] == len(out["units"].query("kind == 'manual'"))
