"""Patterns, overlap, Jaccard similarity and team drift on the hand-built inventory."""

from __future__ import annotations

import pytest

from audit.analysis.patterns import dominant_fingerprints, overlap, patterns, similarity, team_drift
from audit.analysis.units import build_units

from .inventory import FP_DATA, FP_MANUAL_ECS, FP_SITE, FP_WEB, FP_WEB_ROLLING


@pytest.fixture
def units(inv):
    return build_units(inv)


def test_patterns_count_units_clients_and_teams(units):
    p = patterns(units).set_index("fingerprint")
    assert len(p) == 6
    assert p.loc[FP_WEB, ["units", "clients", "teams"]].tolist() == [2, 2, 1]
    assert list(p.loc[FP_WEB, "client_list"]) == ["alpha", "bravo"]
    assert p.loc[FP_DATA, "family"] == "zip -> lambda"
    assert patterns(units).iloc[0]["fingerprint"] == FP_WEB  # most clients first


def test_overlap_long_form(units):
    o = overlap(units)
    client = o[o["dimension"] == "client"]
    assert len(client) == 7  # alpha 2, bravo 1, charlie 2, delta 2
    web = o[(o["dimension"] == "team") & (o["key"] == "web")].set_index("fingerprint")["units"].to_dict()
    assert web == {FP_WEB: 2, FP_WEB_ROLLING: 1, FP_SITE: 1}


def test_jaccard_by_hand(units):
    s = similarity(units).set_index(["client_a", "client_b"])["jaccard"]
    assert len(s) == 6  # 4 clients -> 6 pairs
    assert s[("alpha", "bravo")] == pytest.approx(0.5)  # {web, site} vs {web}: 1 / 2
    assert s[("alpha", "charlie")] == 0.0
    assert s[("charlie", "delta")] == 0.0


def test_team_drift_flags_the_variant_client(units):
    dom = dominant_fingerprints(units).set_index("team")["fingerprint"]
    assert dom["web"] == FP_WEB and dom["data"] == FP_DATA and dom["ops"] == FP_MANUAL_ECS  # tie: alphabetical
    drift = team_drift(units).set_index(["team", "client"])["deviates"]
    assert drift.to_dict() == {("data", "charlie"): False, ("ops", "delta"): False, ("web", "alpha"): False,
                               ("web", "bravo"): False, ("web", "charlie"): True}
