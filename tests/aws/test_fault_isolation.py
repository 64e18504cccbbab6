"""A failure costs only what it touches: deny each operation the collectors call, one at a time, and
check table by table against an unfaulted crawl that only the rows that call feeds are lost and that
the denial is an `errors` row naming the operation; under 50% throttling no row is lost at all.

The fleet: the session fleet's crawlable clients, each crawled in its home region only. The
operations are the registry's declared ones (`Collector.operations`) that an unfaulted crawl calls
(a recording before-call hook, attributed to the collector whose task made the call; the test checks
the two agree). Collectors call disjoint services and each
runs as its own task, so one round denies one operation of every collector at once: a round is one
crawl, and a collector's tables see only its own denial (the test checks the disjointness).

"The rows a call feeds" (FEEDS below, reviewed against the collector code): the tables whose rows
come out of that call's answer, or out of a per-item call made only for items that answer lists.
Denying it everywhere may lose those rows; every other table must keep every row. Rows are compared
by identity (account, region, ARN or natural key; audit.demo.compare), not by value: a denied tag
or template read may leave a column unknown, but must not drop the row.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.aws.test_tagging import TAG_CALLS

from audit.aws import session as aws_session
from audit.aws.collectors import REGISTRY
from audit.aws.crawler import crawl
from audit.config import AccountsConfig, load_accounts
from audit.demo.compare import Crawled, lost_rows
from audit.options import CrawlOptions

pytestmark = pytest.mark.slow

# (botocore service, operation) -> tables it feeds. An operation not listed feeds no rows (tags,
# templates, counts: values only). Reviewed against src/audit/aws/collectors/*.py.
FEEDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("codepipeline", "ListPipelines"): ("pipelines", "pipeline_actions", "pipeline_executions"),
    ("codepipeline", "GetPipeline"): ("pipelines", "pipeline_actions"),
    ("codepipeline", "ListPipelineExecutions"): ("pipeline_executions",),
    ("events", "ListRules"): ("pipeline_event_rules",),
    ("events", "ListTargetsByRule"): ("pipeline_event_rules",),
    ("codecommit", "ListRepositories"): ("codecommit_repositories",),
    ("codecommit", "BatchGetRepositories"): ("codecommit_repositories",),
    ("codeconnections", "ListConnections"): ("connections",),
    ("codebuild", "ListProjects"): ("codebuild_projects", "findings"),
    ("codebuild", "BatchGetProjects"): ("codebuild_projects", "findings"),
    ("codebuild", "ListBuilds"): ("codebuild_builds",),
    ("codebuild", "BatchGetBuilds"): ("codebuild_builds",),
    ("codedeploy", "ListApplications"): ("codedeploy_applications", "codedeploy_groups"),
    ("codedeploy", "BatchGetApplications"): ("codedeploy_applications",),
    ("codedeploy", "GetApplication"): ("codedeploy_applications",),
    ("codedeploy", "ListDeploymentGroups"): ("codedeploy_groups",),
    ("codedeploy", "BatchGetDeploymentGroups"): ("codedeploy_groups",),
    ("codedeploy", "GetDeploymentGroup"): ("codedeploy_groups",),
    ("codedeploy", "ListDeployments"): ("codedeploy_deployments",),
    ("codedeploy", "BatchGetDeployments"): ("codedeploy_deployments",),
    ("codedeploy", "GetDeployment"): ("codedeploy_deployments",),
    ("cloudformation", "DescribeStacks"): ("stacks", "stack_resources"),
    ("cloudformation", "ListStackResources"): ("stack_resources",),
    ("cloudformation", "ListStackSets"): ("stacksets",),
    ("ecs", "ListClusters"): ("ecs_clusters", "ecs_services", "findings"),
    ("ecs", "DescribeClusters"): ("ecs_clusters",),
    ("ecs", "ListServices"): ("ecs_services", "findings"),
    ("ecs", "DescribeServices"): ("ecs_services", "findings"),
    ("ecs", "DescribeTaskDefinition"): ("findings",),
    ("eks", "ListClusters"): ("eks_clusters",),
    ("eks", "DescribeCluster"): ("eks_clusters",),
    ("lambda", "ListFunctions"): ("lambda_functions", "findings"),
    ("elasticbeanstalk", "DescribeApplications"): ("beanstalk_applications",),
    ("elasticbeanstalk", "DescribeEnvironments"): ("beanstalk_environments", "findings"),
    ("elasticbeanstalk", "DescribeConfigurationSettings"): ("findings",),
    ("ecr", "DescribeRepositories"): ("ecr_repositories",),
    ("s3", "ListBuckets"): ("s3_buckets",),
    ("cloudfront", "ListDistributions"): ("cloudfront_distributions",),
    ("apigateway", "GetRestApis"): ("apigateway_apis",),
    ("apigatewayv2", "GetApis"): ("apigateway_apis",),
    ("iam", "GetAccountAuthorizationDetails"): ("iam_roles", "iam_users", "findings"),
    ("iam", "ListOpenIDConnectProviders"): ("iam_oidc_providers",),
    ("iam", "ListAccessKeys"): ("findings",),
    ("autoscaling", "DescribeAutoScalingGroups"): ("autoscaling_groups",),
    ("ec2", "DescribeLaunchTemplates"): ("launch_templates",),
    ("cloudwatch", "DescribeAlarms"): ("cloudwatch_alarms",),
}
def crawl_tables() -> set[str]:
    return {t for c in REGISTRY.values() for t in c.tables}


def home_region_config(fleet: Any, clients: int = 3) -> AccountsConfig:
    """The fleet's first crawlable clients, each crawled in its home region only."""
    config = load_accounts(fleet.accounts_file)
    home = {c.account_id: c.home_region for c in fleet.model.clients}
    picked = [c.model_copy(update={"regions": [home[c.account_id]]}) for c in config.clients
              if c.account_id not in fleet.faults["assume_role_denied"]][:clients]
    return config.model_copy(update={"clients": picked})


_current = threading.local()


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, set[tuple[str, str]]]]:
    """collector -> {(service, operation)} called during the crawls of this test (a before-call hook)."""
    seen: dict[str, set[tuple[str, str]]] = {}
    lock = threading.Lock()
    for name, collector in REGISTRY.items():
        def collect(ctx: Any, _orig: Any = collector.collect, _name: str = name) -> Any:
            _current.collector = _name
            try:
                return _orig(ctx)
            finally:
                _current.collector = None
        monkeypatch.setitem(REGISTRY, name, replace(collector, collect=collect))
    make = aws_session.AwsContext._make

    def recording_make(self: Any, session: Any, service: str, region: str, *rest: Any) -> Any:
        client = make(self, session, service, region, *rest)

        def record(model: Any, **_: Any) -> None:
            collector = getattr(_current, "collector", None)
            if collector:
                with lock:
                    seen.setdefault(collector, set()).add((service, model.name))
        client.meta.events.register("before-call", record)
        return client

    monkeypatch.setattr(aws_session.AwsContext, "_make", recording_make)
    yield seen


def run_crawl(fleet: Any, config: AccountsConfig, out: Path, day: str, services: list[str] | None = None) -> Crawled:
    options = CrawlOptions(day=day, endpoint_url=fleet.endpoint_url, progress=False, workers=8,
                           services=tuple(services) if services else None)
    return Crawled.read(crawl(config, out, options).snapshot_dir, crawl_tables())


def lost(base: Crawled, faulted: Crawled, collector: str) -> dict[str, int]:
    """table -> rows of one collector's tables in the unfaulted crawl missing from the faulted one."""
    return lost_rows(base, faulted, REGISTRY[collector].tables, collector)


def rounds(ops: dict[str, set[tuple[str, str]]]) -> list[dict[str, tuple[str, str]]]:
    """Round i denies the i-th operation of every collector (collector -> operation)."""
    ordered = {c: sorted(o) for c, o in ops.items()}
    return [{c: o[i] for c, o in ordered.items() if i < len(o)} for i in range(max(map(len, ordered.values())))]


def sweep(fleet: Any, tmp_path: Path, recording: dict[str, set[tuple[str, str]]]) -> list[dict[str, Any]]:
    """Deny every recorded operation once; per operation: rows lost, by table, and its error rows."""
    config = home_region_config(fleet)
    base = run_crawl(fleet, config, tmp_path / "base", "2026-02-01")
    ops = {c: o for c, o in recording.items()}
    # codepipeline reads CodeCommit commits, codecommit the repositories: other operations of one service
    shared = [(a, b) for a in ops for b in ops if a < b and ops[a] & ops[b]]
    assert shared == [], "collectors sharing an operation cannot be denied in the same round"
    results = []
    for i, denied in enumerate(rounds(ops)):
        spec = ",".join(f"deny={s}:{o}" for s, o in denied.values())
        with fleet.inject(spec):
            faulted = run_crawl(fleet, config, tmp_path / f"round{i}", "2026-02-01", services=sorted(denied))
        for collector, (service, op) in denied.items():
            missing = lost(base, faulted, collector)
            errs = faulted.errors
            named = errs[(errs["collector"] == collector) & (errs["operation"] == op)
                         & (errs["error_class"] == "access-denied")]
            results.append({"collector": collector, "operation": (service, op), "lost": missing,
                            "error_rows": len(named)})
    return results


def test_each_denied_operation_loses_only_the_rows_it_feeds(fleet, tmp_path, recording):
    results = sweep(fleet, tmp_path, recording)
    for r in sorted(results, key=lambda r: r["operation"]):  # the table of the closing note (`pytest -s`)
        print("deny-sweep {}:{}: rows lost {} ({} error rows)".format(*r["operation"], r["lost"] or 0, r["error_rows"]))
    called = {r["operation"] for r in results}
    assert len(called) >= 30, sorted(called)  # the sweep covers what the collectors really call
    unexpected = {f"{s}:{o}": {t: n for t, n in r["lost"].items() if t not in FEEDS.get((s, o), ())}
                  for r in results for s, o in [r["operation"]]}
    assert {op: rows for op, rows in unexpected.items() if rows} == {}
    unnamed = [f"{s}:{o}" for r in results for s, o in [r["operation"]] if r["error_rows"] == 0]
    assert unnamed == []
    # The sweep covers the registry's declared operations: all but the per-item fallbacks of batch
    # calls the fleet answers (GetApplication, GetDeployment, GetDeploymentGroup: moto lacks
    # BatchGetDeploymentGroups, the fleet's moto patch answers it as AWS does), S3's region redirect
    # (HeadBucket: every bucket is read in its own region) and GetBucketLocation (ListBuckets gives
    # BucketRegion, as AWS's does).
    unreached = {("codedeploy", "GetApplication"), ("codedeploy", "GetDeployment"),
                 ("codedeploy", "GetDeploymentGroup"), ("s3", "HeadBucket"), ("s3", "GetBucketLocation")}
    for name, collector in REGISTRY.items():
        assert recording.get(name, set()) <= set(collector.operations), name
    # The per-resource tag reads are the tag index's fallback (tests/aws/test_tagging.py denies the index).
    assert {op for c in REGISTRY.values() for op in c.operations} - called - TAG_CALLS == unreached
    assert set(FEEDS) - called <= unreached  # FEEDS names real calls


def with_retries(config: AccountsConfig, max_attempts: int) -> AccountsConfig:
    retry = config.defaults.retry.model_copy(update={"max_attempts": max_attempts})
    return config.model_copy(update={"defaults": config.defaults.model_copy(update={"retry": retry})})


def test_half_the_requests_throttled_loses_no_row_given_enough_retries(fleet, tmp_path):
    config = with_retries(home_region_config(fleet), 20)
    base = run_crawl(fleet, config, tmp_path / "base", "2026-02-02")
    with fleet.inject("throttle=50%,seed=11") as stats:
        throttled = run_crawl(fleet, config, tmp_path / "throttled", "2026-02-02")
    assert stats.throttled > 100 and throttled.calls > base.calls + stats.throttled / 2
    missing = {c: lost(base, throttled, c) for c in REGISTRY}
    assert {c: v for c, v in missing.items() if v} == {}

    def kinds(errors: pd.DataFrame) -> list[tuple[str, ...]]:
        return sorted(map(tuple, errors[["account_id", "collector", "operation", "error_class"]].values.tolist()))
    assert kinds(throttled.errors) == kinds(base.errors)  # the fleet's own faults only
