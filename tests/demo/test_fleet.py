"""The running fleet: configs that validate, expected counts that match what boto3 reads back,
and secrets really seeded (same seed in another process: test_serve.py)."""

from __future__ import annotations

import dataclasses

import boto3
import pytest

from audit.cli import main
from audit.config import load_accounts, load_repos, load_surveys
from audit.demo.fleet import FLEET_TABLES, expected_counts
from audit.demo.model import build_model
from audit.demo.seed import Seeded


def test_configs_validate_with_the_cli(fleet, capsys):
    files = [fleet.accounts_file, fleet.repos_file, *sorted(fleet.survey_dir.glob("*.yaml"))]
    if fleet.catalog_file is not None:
        files.append(fleet.catalog_file)
    with pytest.raises(SystemExit) as done:
        main(["validate", *map(str, files)])
    assert done.value.code == 0
    assert capsys.readouterr().out.count(": ok (") == len(files)
    accounts = load_accounts(fleet.accounts_file)
    assert accounts.endpoint_url == fleet.endpoint_url
    assert [c.account_id for c in accounts.clients] == fleet.account_ids
    assert accounts.defaults.regions == list(fleet.model.regions)
    repos = load_repos(fleet.repos_file)
    for entry in repos.repositories:
        assert (fleet.repos_file.parent / entry.path / ".git").is_dir()
    assert set(load_surveys(fleet.survey_dir)) == {"web", "data", "java", "ops"}


def _count(session: boto3.Session, url: str, regions: list[str], skip: set[tuple[str, str]]) -> dict[str, int]:
    """Rows of some crawl tables, read independently of the crawler with plain boto3 calls."""
    out = dict.fromkeys(["pipelines", "pipeline_executions", "codebuild_projects", "codebuild_builds",
                         "codedeploy_deployments", "stacks", "stack_resources", "lambda_functions",
                         "ecs_services", "cloudwatch_alarms", "autoscaling_groups", "iam_roles", "s3_buckets",
                         "iam_users"], 0)
    iam = session.client("iam", endpoint_url=url)
    out["iam_roles"] = sum(len(p["Roles"]) for p in iam.get_paginator("list_roles").paginate())
    out["iam_users"] = len(iam.list_users()["Users"])
    out["s3_buckets"] = len(session.client("s3", endpoint_url=url).list_buckets()["Buckets"])
    for region in regions:
        def c(service: str, region: str = region):
            return session.client(service, endpoint_url=url, region_name=region)
        cp = c("codepipeline")
        for p in cp.list_pipelines()["pipelines"]:
            out["pipelines"] += 1
            out["pipeline_executions"] += len(cp.list_pipeline_executions(pipelineName=p["name"])
                                              ["pipelineExecutionSummaries"])
        cb = c("codebuild")
        out["codebuild_projects"] += len(cb.list_projects()["projects"])
        out["codebuild_builds"] += sum(len(page["ids"]) for page in cb.get_paginator("list_builds").paginate())
        out["codedeploy_deployments"] += len(c("codedeploy").list_deployments()["deployments"])
        cfn = c("cloudformation")
        for s in cfn.describe_stacks()["Stacks"]:
            out["stacks"] += 1
            out["stack_resources"] += len(cfn.list_stack_resources(StackName=s["StackName"])["StackResourceSummaries"])
        if (region, "lambda") not in skip:
            out["lambda_functions"] += len(c("lambda").list_functions()["Functions"])
        ecs = c("ecs")
        for arn in ecs.list_clusters()["clusterArns"]:
            out["ecs_services"] += len(ecs.list_services(cluster=arn)["serviceArns"])
        out["cloudwatch_alarms"] += len(c("cloudwatch").describe_alarms()["MetricAlarms"])
        out["autoscaling_groups"] += len(c("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"])
    return out


def test_expected_counts_match_what_boto3_reads(fleet, assume_in):
    assert set(fleet.expected) == set(fleet.account_ids)
    denied = set(fleet.faults["assume_role_denied"])
    for acct, expected in fleet.expected.items():
        assert set(expected) == set(FLEET_TABLES)
        if acct in denied:
            assert not any(expected.values()), "an account that cannot be assumed shows nothing"
            continue
        skip = {(r, s) for a, r, s in fleet.faults["denied"] if a == acct}
        got = _count(assume_in(fleet, acct), fleet.endpoint_url, list(fleet.model.regions), skip)
        assert got == {t: expected[t] for t in got}, acct
        assert expected["pipelines"] >= 1 and expected["iam_roles"] >= 5


def test_fleet_totals_cover_every_seeded_kind(fleet):
    """Every registered collector's tables have seeded rows, so the demo exercises every collector."""
    from audit.aws.collectors import REGISTRY

    totals = {t: sum(e[t] for e in fleet.expected.values()) for t in FLEET_TABLES}
    unseeded = {t for t, n in totals.items() if n == 0}
    assert unseeded == set()
    collected = {t for c in REGISTRY.values() for t in c.tables}
    assert collected - {"findings"} == set(FLEET_TABLES)  # findings are counted apart, per account
    assert any(fleet.findings.values())
    assert totals["pipeline_executions"] == totals["codebuild_builds"]
    assert totals["pipeline_executions"] > 10 * totals["pipelines"] // 2


def test_secret_values_are_really_seeded(fleet, assume_in):
    """The secrets a grep test looks for exist where the crawler will see their names."""
    assert any(s.startswith("fleet-Plaintext-Pw-") for s in fleet.secrets)
    assert any(s.startswith("sk_live_fleet_") for s in fleet.secrets)
    first = fleet.model.clients[0]
    session = assume_in(fleet, first.account_id, first.home_region)
    cb = session.client("codebuild", endpoint_url=fleet.endpoint_url)
    projects = cb.batch_get_projects(names=cb.list_projects()["projects"])["projects"]
    plain = {(v["name"], v["type"], v["value"]) for p in projects for v in p["environment"]["environmentVariables"]}
    assert any(n == "DB_PASSWORD" and t == "PLAINTEXT" and v in fleet.secrets for n, t, v in plain)
    assert any(t == "PARAMETER_STORE" for _, t, _ in plain)
    assert any("<script>alert(1)</script>" in p.get("description", "") for p in projects)


def test_two_denied_services_in_one_region_hide_both() -> None:
    model = build_model(4, seed=7)
    spec = model.clients[0]
    where = (spec.account_id, spec.home_region)
    model = dataclasses.replace(model, denied=frozenset({(*where, "lambda"), (*where, "ecs")}))
    seeded = Seeded(spec.account_id, spec.name)
    for table in ("lambda_functions", "ecs_services", "pipelines"):
        seeded.add(table, spec.home_region, 2)
    counts = expected_counts(model, {spec.account_id: seeded})[spec.account_id]
    assert (counts["lambda_functions"], counts["ecs_services"], counts["pipelines"]) == (0, 0, 2)
