"""Seed the fleet into the moto server through boto3, counting every row the crawl should find.

One botocore client per (service, region) is shared by all seeding threads (building clients per
account would cost more CPU than the seeding itself); the target account travels in moto's
`x-moto-account-id` header, set from a thread-local, so seeding needs no AssumeRole round trips.

Every create call is paired with `Seeded.add(table, region)`: `Fleet.expected` is what we created,
never what moto answers. Where moto drops properties of stack-created resources (ECS launch type and
deployment controller, Lambda tags, Beanstalk platform), the in-process backend object is fixed up
after the stack is created, so the crawler reads what a real account would return.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from audit.demo import backend_fixes as fix
from audit.demo.model import AUDIT_ROLE, TOOLING_ACCOUNT, ClientSpec, FleetModel
from audit.store.schema import CFN_TABLES, GLOBAL_TABLES

GLOBAL = "global"
_local = threading.local()


@dataclass
class PipelineSeed:
    """What history.py needs to backdate executions, builds and deployments of one pipeline."""

    account_id: str
    client: str
    region: str
    team: str
    name: str
    repo: str | None  # team repository (None: not in repos.yaml)
    source_provider: str
    build_project: str
    codedeploy: tuple[str, str] | None = None  # (application, deployment group)


@dataclass
class Seeded:
    """Rows created in one account, by (table, region), plus what the history needs."""

    account_id: str
    client: str
    counts: Counter = field(default_factory=Counter)
    pipelines: list[PipelineSeed] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    # (kind, table, region, resource name, detail): what a crawl must report as findings
    findings: list[tuple[str, str, str, str, str | None]] = field(default_factory=list)

    def add(self, table: str, region: str, n: int = 1) -> None:
        """Count n rows; a global table's rows are counted under 'global' whatever the region."""
        self.counts[(table, GLOBAL if table in GLOBAL_TABLES else region)] += n

    def secret(self, value: str, table: str, region: str, resource: str, name: str) -> None:
        """A secret value seeded in plain text under a secret-looking name."""
        self.secrets.append(value)
        self.findings.append(("plaintext-secret-variable", table, region, resource, name))


def tags(spec: ClientSpec, team: str, **extra: str) -> dict[str, str]:
    return {"client": spec.name, "team": team, "managed-by": "consultancy", "env": "prod", **extra}


def tag_list(d: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in d.items()]


def trust(principal: dict[str, Any], condition: dict[str, Any] | None = None) -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if "Federated" in principal:
        stmt["Action"] = "sts:AssumeRoleWithWebIdentity"
    if condition:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


class Clients:
    """Shared boto3 clients for seeding, one per (service, region); account from a thread-local."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._session = boto3.session.Session(aws_access_key_id="fleet-seed", aws_secret_access_key="fleet-seed")
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._config = Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=32,
                              connect_timeout=10, read_timeout=120)

    def __call__(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.client(service, region_name=region, endpoint_url=self.endpoint_url,
                                               config=self._config)
                client.meta.events.register("before-sign", _account_header)
                self._clients[key] = client
        return client


def act_as(account_id: str) -> None:
    """Bind this thread's seeding clients to one fleet account (moto's x-moto-account-id header)."""
    _local.account_id = account_id


def _account_header(request: Any, **_: Any) -> None:
    request.headers["x-moto-account-id"] = _local.account_id


@dataclass
class Ctx:
    """Everything a seeding function needs for one client account."""

    spec: ClientSpec
    model: FleetModel
    clients: Clients
    out: Seeded

    @property
    def acct(self) -> str:
        return self.spec.account_id

    @property
    def region(self) -> str:
        return self.spec.home_region

    def c(self, service: str, region: str | None = None) -> Any:
        return self.clients(service, region or self.region)

    def role(self, name: str, principal: dict[str, Any], team: str, *, condition: dict | None = None,
             description: str = "") -> str:
        self.c("iam").create_role(RoleName=name, AssumeRolePolicyDocument=trust(principal, condition),
                                  Description=description, Tags=tag_list(tags(self.spec, team)))
        self.out.add("iam_roles", GLOBAL)
        return f"arn:aws:iam::{self.acct}:role/{name}"

    def service_role(self, name: str, service: str, team: str) -> str:
        return self.role(name, {"Service": f"{service}.amazonaws.com"}, team)

    def bucket(self, name: str, team: str, *, region: str | None = None, website: bool = False) -> str:
        region = region or self.region
        s3 = self.c("s3", region)
        kwargs: dict[str, Any] = {}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(Bucket=name, **kwargs)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags(self.spec, team))})
        if website:
            s3.put_bucket_website(Bucket=name, WebsiteConfiguration={
                "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
        self.out.add("s3_buckets", GLOBAL)
        return name

    def alarm(self, name: str, team: str, *, namespace: str, metric: str, region: str | None = None) -> str:
        self.c("cloudwatch", region).put_metric_alarm(
            AlarmName=name, MetricName=metric, Namespace=namespace, Statistic="Sum", Period=300,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            ActionsEnabled=True, Tags=tag_list(tags(self.spec, team)))
        self.out.add("cloudwatch_alarms", region or self.region)
        return name

    def stack(self, name: str, template: dict[str, Any], team: str, *, extra_tags: dict | None = None,
              region: str | None = None) -> None:
        """Create a stack; count it and every resource moto will list for it."""
        region = region or self.region
        stack_tags = tags(self.spec, team, **(extra_tags or {}))
        self.c("cloudformation", region).create_stack(
            StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_NAMED_IAM"],
            Tags=tag_list(stack_tags))
        self.out.add("stacks", region)
        fix.drop_blank_stack_resources(self, name, region)
        self.propagate_tags(name, region, stack_tags)
        listed = [r for r in template["Resources"].values() if "Condition" not in r]
        self.out.add("stack_resources", region, len(listed))
        for res in listed:
            table = CFN_TABLES.get(res["Type"])
            if table:
                self.out.add(table, region)

    def propagate_tags(self, stack: str, region: str, stack_tags: dict[str, str]) -> None:
        """AWS copies stack tags onto the resources it creates; moto does not: tag them like AWS would."""
        listed = self.c("cloudformation", region).list_stack_resources(StackName=stack)["StackResourceSummaries"]
        for res in listed:
            kind, pid = res["ResourceType"], res["PhysicalResourceId"]
            if kind == "AWS::S3::Bucket":
                self.c("s3", region).put_bucket_tagging(Bucket=pid, Tagging={"TagSet": tag_list(stack_tags)})
            elif kind == "AWS::ECS::Cluster":
                self.c("ecs", region).tag_resource(resourceArn=f"arn:aws:ecs:{region}:{self.acct}:cluster/{pid}",
                                                   tags=tag_list(stack_tags, "key", "value"))
            elif kind == "AWS::ApiGateway::RestApi":  # moto routes no TagResource for REST APIs
                fix.rest_api_tags(self, region, pid, stack_tags)
            elif kind == "AWS::IAM::Role":
                self.c("iam").tag_role(RoleName=pid, Tags=tag_list(stack_tags))


def seed_baseline(ctx: Ctx) -> None:
    """The onboarding baseline: audit role always, the rest as the client's Baseline says."""
    spec, b = ctx.spec, ctx.spec.baseline
    ctx.role(AUDIT_ROLE, {"AWS": f"arn:aws:iam::{TOOLING_ACCOUNT}:root"}, "ops",
             condition={"StringEquals": {"sts:ExternalId": "consultancy-audit"}},
             description="Read-only audit role for cicd-audit")
    if b.github_oidc:
        iam = ctx.c("iam")
        arn = iam.create_open_id_connect_provider(
            Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
            Tags=tag_list(tags(spec, "ops")))["OpenIDConnectProviderArn"]
        ctx.out.add("iam_oidc_providers", GLOBAL)
        ctx.role("github-actions-deploy", {"Federated": arn}, "ops", condition={
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:consultancy/*:ref:refs/heads/main"}},
            description="CI deploy role for GitHub Actions (OIDC)")
    if b.artifacts_bucket:
        ctx.bucket(artifacts_bucket(spec), "ops")
    if b.ops_access_role:
        ctx.role("ConsultancyOpsAccess", {"AWS": f"arn:aws:iam::{TOOLING_ACCOUNT}:root"}, "ops",
                 description="Cross-account access for the consultancy's on-call engineers")
    if b.alarms:
        ctx.alarm("consultancy-root-login", "ops", namespace="CloudTrailMetrics", metric="RootLogin")
        ctx.alarm("consultancy-pipeline-failed", "ops", namespace="AWS/CodePipeline", metric="FailedExecutions")
        if "us-east-1" in ctx.model.regions:
            ctx.alarm("consultancy-billing-estimate", "ops", namespace="AWS/Billing",
                      metric="EstimatedCharges", region="us-east-1")
    if b.cdk_bootstrap:
        ctx.stack("CDKToolkit", cdk_bootstrap_template(spec), "ops")
        ctx.stack(f"{spec.name}-monitoring", cdk_app_template(spec), "ops")
    if spec.stackset:
        seed_stackset(ctx)


def artifacts_bucket(spec: ClientSpec) -> str:
    return f"{spec.name}-cicd-artifacts-{spec.account_id}"


def cdk_bootstrap_template(spec: ClientSpec) -> dict[str, Any]:
    qualifier = "hnb659fds"
    return {
        "Description": "This stack includes resources needed to deploy AWS CDK apps into this environment",
        "Parameters": {"Qualifier": {"Type": "String", "Default": qualifier}},
        "Resources": {
            "StagingBucket": {"Type": "AWS::S3::Bucket", "Properties": {
                "BucketName": f"cdk-{qualifier}-assets-{spec.account_id}-{spec.home_region}"}},
            "CdkBootstrapVersion": {"Type": "AWS::SSM::Parameter", "Properties": {
                "Name": f"/cdk-bootstrap/{qualifier}/version", "Type": "String", "Value": "21"}},
        },
        "Outputs": {"BootstrapVersion": {"Value": "21", "Description": "The version of the bootstrap resources"}},
    }


def cdk_app_template(spec: ClientSpec) -> dict[str, Any]:
    """A small CDK app stack: CDKMetadata under its usual condition (moto cannot list that type)."""
    return {
        "Resources": {
            "Dashboard9E4231ED": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
                "DashboardName": f"{spec.name}-delivery", "DashboardBody": "{\"widgets\": []}"}},
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {
                "Analytics": "v2:deflate64:H4sIAAAAAAAA/zPSMzIwMFAyUEwuT83NK0ktSk1RMDXSMzIwMFAyUEwuzsxL"},
                "Metadata": {"aws:cdk:path": "MonitoringStack/CDKMetadata/Default"},
                "Condition": "CDKMetadataAvailable"},
        },
        "Conditions": {"CDKMetadataAvailable": {"Fn::Equals": [{"Ref": "AWS::Region"}, "cn-northwest-1"]}},
        "Parameters": {"BootstrapVersion": {"Type": "String", "Default": "21",
                                            "Description": "Version of the CDK Bootstrap resources"}},
    }


def seed_stackset(ctx: Ctx) -> None:
    """A self-managed StackSet deploying a break-glass role into the client's own account."""
    cfn = ctx.c("cloudformation")
    template = {"Resources": {"BreakGlassRole": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "ConsultancyBreakGlass",
        "AssumeRolePolicyDocument": json.loads(trust({"AWS": f"arn:aws:iam::{TOOLING_ACCOUNT}:root"}))}}}}
    cfn.create_stack_set(StackSetName="consultancy-baseline-roles", TemplateBody=json.dumps(template),
                         PermissionModel="SELF_MANAGED", Capabilities=["CAPABILITY_NAMED_IAM"],
                         Description="Baseline roles rolled out by StackSets",
                         Tags=tag_list(tags(ctx.spec, "ops")))
    ctx.out.add("stacksets", ctx.region)
    cfn.create_stack_instances(StackSetName="consultancy-baseline-roles", Accounts=[ctx.acct],
                               Regions=[ctx.region])
    ctx.out.add("stacks", ctx.region)
    ctx.out.add("stack_resources", ctx.region)
    ctx.out.add("iam_roles", GLOBAL)
    ctx.c("iam").tag_role(RoleName="ConsultancyBreakGlass", Tags=tag_list(tags(ctx.spec, "ops")))
    fix.stackset_instance_tags(ctx, "consultancy-baseline-roles", tags(ctx.spec, "ops"))


def seed_fleet(endpoint_url: str, model: FleetModel, *, workers: int = 8,
               seeders: list[Callable[[Ctx], None]] | None = None) -> dict[str, Seeded]:
    """Seed every client account in parallel; returns what was created per account."""
    from audit.demo.teams import seed_data, seed_java, seed_ops, seed_web

    clients = Clients(endpoint_url)
    steps = seeders or [seed_baseline, seed_web, seed_data, seed_java, seed_ops]

    def one(spec: ClientSpec) -> Seeded:
        act_as(spec.account_id)
        ctx = Ctx(spec=spec, model=model, clients=clients, out=Seeded(spec.account_id, spec.name))
        for step in steps:
            step(ctx)
        return ctx.out

    warm_up(clients, model)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fleet-seed") as pool:
        results = list(pool.map(one, model.clients))
    return {r.account_id: r for r in results}


def warm_up(clients: Clients, model: FleetModel) -> None:
    """Make moto load each service once, before the accounts race for it."""
    region = model.regions[0]
    calls: list[tuple[str, Callable[[Any], Any]]] = [
        ("iam", lambda c: c.list_roles()), ("s3", lambda c: c.list_buckets()),
        ("cloudformation", lambda c: c.list_stacks()), ("codebuild", lambda c: c.list_projects()),
        ("codepipeline", lambda c: c.list_pipelines()), ("ecs", lambda c: c.list_clusters()),
        ("lambda", lambda c: c.list_functions()), ("ecr", lambda c: c.describe_repositories()),
        ("codedeploy", lambda c: c.list_applications()), ("cloudwatch", lambda c: c.describe_alarms()),
        ("elasticbeanstalk", lambda c: c.describe_applications()),
        ("autoscaling", lambda c: c.describe_auto_scaling_groups()),
        ("ec2", lambda c: c.describe_launch_templates()), ("cloudfront", lambda c: c.list_distributions()),
        ("apigateway", lambda c: c.get_rest_apis()), ("apigatewayv2", lambda c: c.get_apis()),
        ("codecommit", lambda c: c.get_repository(repositoryName="warm-up")),
    ]

    # Sequential: loading is CPU-bound under the GIL, so threads only add contention.
    act_as(TOOLING_ACCOUNT)
    for service, call in calls:
        with contextlib.suppress(Exception):  # warming only; errors are expected (e.g. missing repo)
            call(clients(service, region))
