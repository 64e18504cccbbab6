"""The hard cases of cases.py: team inference, OIDC-inferred source/build, CodeDeployToECS as one unit,
unknown Beanstalk strategy, drift reasons, and hotfix vs sprint-end from commit messages."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from audit.analysis.catalog import load_catalog
from audit.analysis.delivery import delivery, message_kind
from audit.analysis.patterns import team_drift
from audit.analysis.run import compute_tables
from audit.analysis.units import build_units
from audit.config import Survey
from audit.config.survey import ReleaseMessages

from .cases import IN, F, G, H, case_inventory
from .inventory import FP_WEB, REGION

CATALOG = Path(__file__).resolve().parents[2] / "inventory" / "catalog.yaml"


@pytest.fixture(scope="module")
def inv():
    return case_inventory()


@pytest.fixture(scope="module")
def units(inv):
    return build_units(inv).set_index("unit_id")


def test_hand_made_units_in_a_two_team_account_are_attributed_by_family_and_names(units):
    svc, fn = units.loc[f"{F}/{REGION}/manual/web-svc"], units.loc[f"{F}/{REGION}/manual/etl"]
    assert (svc.team, svc.team_source, svc.team_confidence) == ("web", "inferred", 1.0)
    assert "image -> ecs is web's dominant" in svc.team_evidence and "'web-svc' (alpha)" in svc.team_evidence
    assert (fn.team, fn.team_source) == ("data", "inferred")
    portal = units.loc[f"{F}/{REGION}/manual/legacy-portal"]  # bundle -> beanstalk: neither team's shape
    assert pd.isna(portal.team) and pd.isna(portal.team_source)
    assert units.loc[f"{H}/{REGION}/pipeline/shop"].team_source == "account"
    assert units.loc[f"333333333333/{REGION}/pipeline/data-etl"].team_source == "repo"


def test_team_drift_says_why_and_lists_unattributed_and_not_crawled(inv, units):
    drift = team_drift(units.reset_index(), inv["accounts"])
    rows = {(r.team if isinstance(r.team, str) else None, r.client): (r.status, list(r.differences))
            for r in drift.itertuples()}
    assert rows[("web", "foxtrot")] == ("drifts", [
        "source: github -> console", "build: codebuild -> none", "iac: cloudformation -> none",
        "strategy: blue-green -> rolling", "gates: manual-approval -> none"])
    assert rows[("web", "charlie")] == ("drifts", ["strategy: blue-green -> rolling"])
    assert rows[("data", "foxtrot")] == ("drifts", ["source: codecommit -> console", "build: codebuild -> none",
                                                    "iac: sam -> none"])
    assert rows[("web", "alpha")] == ("follows", [])
    assert rows[(None, "foxtrot")] == ("unattributed", [])
    assert rows[("data", "echo")] == ("not crawled", [])  # echo's crawl failed: listed, not dropped
    # golf's `reports` differs from api's dominant only where it is unknown: not drift
    assert rows[("api", "golf")] == ("follows", [])
    assert drift.set_index(["team", "client"]).loc[("web", "foxtrot"), "dominant_fingerprint"] == FP_WEB


def test_oidc_trust_infers_source_and_build_of_stack_units(units):
    orders, billing = units.loc[f"{G}/{REGION}/stack/orders-api-prod"], units.loc[f"{G}/{REGION}/stack/billing"]
    assert orders.fingerprint == "github -> github-actions -> zip -> cloudformation -> lambda[all-at-once]"
    prov = json.loads(orders.provenance)
    assert (prov["source"], prov["build"], prov["target"]) == ("inferred", "inferred", "observed")
    assert prov["evidence"] == "IAM role gh-deploy trusts github repository acme/orders-api"
    # GitLab: the repository is named in the stack's tag, not in its name
    assert billing.fingerprint == "gitlab -> gitlab-ci -> image -> cloudformation -> ecs[rolling]"
    # only a wildcard subject (repo:acme/*): unknown, never "none"
    reports = units.loc[f"{G}/{REGION}/stack/reports"]
    assert reports.fingerprint == "unknown -> unknown -> zip -> cloudformation -> lambda[all-at-once]"
    assert json.loads(reports.provenance)["source"] == "unknown"


def test_codedeploy_to_ecs_is_one_unit_joined_through_ecs_services(units):
    hotel = units[units["client"] == "hotel"]
    assert hotel.index.tolist() == [f"{H}/{REGION}/pipeline/shop"]  # storefront is not a second unit
    assert hotel.iloc[0].fingerprint == "github -> codebuild -> image -> none -> ecs[blue-green] + rollback-alarms"


def test_codedeploy_to_ecs_without_the_service_in_ecs_services_keeps_the_service_apart(inv):
    groups = inv["codedeploy_groups"].copy()
    groups["ecs_services"] = [["other/svc"] if n == "DgpECS-shop" else [] for n in groups["name"]]
    changed = {**inv, "codedeploy_groups": groups}
    hotel = build_units(changed).query("client == 'hotel'")
    assert sorted(hotel["kind"]) == ["manual", "pipeline"]  # the repository name is no join


def test_unreadable_beanstalk_configuration_is_unknown_not_rolling(units):
    env = units.loc[f"{IN}/{REGION}/manual/claims-prod"]
    assert (env.strategy, env.fingerprint) == ("unknown", "console -> none -> bundle -> none -> beanstalk[unknown]")
    assert json.loads(env.provenance)["strategy"] == "unknown"


def test_hotfix_and_sprint_end_from_commit_messages_with_their_sources(inv, units):
    d = delivery(inv, units.reset_index(), {}).set_index(["level", "key"])
    ml = d.loc[("team", "ml")]
    # release: sprint 14 -> sprint-end; hotfix: / fix!: -> hotfix; chore: neither (not counted)
    assert (ml.sprint_end_releases, ml.hotfix_releases) == (1, 2)
    assert ml.sprint_end_share == pytest.approx(1 / 3)
    assert (ml.release_kind_source, ml.lead_time_source) == ("commit-message", "commit-time")
    assert ml.lead_time_hours == pytest.approx((6 + 2 + 4) / 3)  # the chore deploy has no commit time
    web = d.loc[("team", "web")]  # web has no survey here and no messages: unknown, never a zero
    assert web.isna()[["sprint_end_releases", "release_kind_source"]].all()


def test_a_survey_without_calendar_overrides_the_message_patterns(inv, units):
    survey = Survey(team="ml", release_messages=ReleaseMessages(hotfix=[r"^chore"], sprint_end=[r"sprint \d+"]))
    ml = delivery(inv, units.reset_index(), {"ml": survey}).set_index(["level", "key"]).loc[("team", "ml")]
    assert (ml.sprint_end_releases, ml.hotfix_releases, ml.release_kind_source) == (1, 1, "commit-message")


@pytest.mark.parametrize(("message", "kind"), [
    ("hotfix: null pointer", "hotfix"), ("fix(api)!: drop v1", "hotfix"), ("Revert \"feat: x\"", "hotfix"),
    ("release: sprint 14", "sprint-end"), ("Release for sprint 3\n\nnotes", "sprint-end"),
    ("sprint 9 release", "sprint-end"), ("feat: new page", None), ("fix: typo", None), ("", None)])
def test_default_message_patterns(message, kind):
    assert message_kind(message, ReleaseMessages()) == kind


def test_catalog_hits_that_are_not_units_take_their_resources_team_never_every_team(inv):
    catalog = load_catalog(CATALOG)
    ranking = compute_tables(dict(inv), catalog, {})["ranking"].set_index("item_id")
    # charlie serves web and data: its CodeDeploy group is data's (data-etl deploys it) ...
    assert ranking.loc["codedeploy-ec2-rollback", "team_list"].tolist() == ["data"]
    # ... and nothing says whose its untagged CI user is: no team, rather than both
    assert ranking.loc["ci-keys-to-oidc", "team_list"].tolist() == []
    assert ranking.loc["ci-keys-to-oidc", "client_list"].tolist() == ["charlie"]
