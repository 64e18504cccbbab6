"""The seeding toolkit: create fleet resources in the moto server through boto3, counting every row.

What each account gets is `baseline.py` (onboarding) and `teams.py` (the four teams); `populate.py`
runs them over the accounts. This module only holds what they share.

One botocore client per (service, region) is shared by all seeding threads (building clients per
account would cost more CPU than the seeding itself); the target account travels in moto's
`x-moto-account-id` header, set from a thread-local, so seeding needs no AssumeRole round trips.

Every create call is paired with `Seeded.add(table, region)`: `Fleet.expected` is what we created,
never what moto answers. Where moto drops properties of stack-created resources (ECS launch type and
deployment controller, Lambda tags, Beanstalk platform), the in-process backend object is fixed up
after the stack is created, so the crawler reads what a real account would return.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from audit.aws.collectors.s3 import PUBLIC_ACCESS_FLAGS
from audit.demo import backend_fixes as fix
from audit.demo.model import BucketSettings, ClientSpec, FleetModel
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
             description: str = "", managed: tuple[str, ...] = (), inline: dict[str, dict[str, Any]] | None = None,
             max_session: int = 3600) -> str:
        """A role with its trust, attached managed policies (AWS-managed ones are made known to moto
        first) and inline policies (name -> document)."""
        iam = self.c("iam")
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(principal, condition),
                        Description=description, Tags=tag_list(tags(self.spec, team)), MaxSessionDuration=max_session)
        fix.aws_managed_policies(self.acct, managed)
        for arn in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        for policy, document in (inline or {}).items():
            iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(document))
        self.out.add("iam_roles", GLOBAL)
        return f"arn:aws:iam::{self.acct}:role/{name}"

    def service_role(self, name: str, service: str, team: str) -> str:
        return self.role(name, {"Service": f"{service}.amazonaws.com"}, team)

    def bucket(self, name: str, team: str, *, region: str | None = None, website: bool = False,
               settings: BucketSettings | None = None) -> str:
        """A bucket, tagged; `settings` for a delivery bucket (versioning, encryption, public access)."""
        region = region or self.region
        s3 = self.c("s3", region)
        kwargs: dict[str, Any] = {}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(Bucket=name, **kwargs)
        fix.s3_bucket(self.acct, name)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags(self.spec, team))})
        if website:
            s3.put_bucket_website(Bucket=name, WebsiteConfiguration={
                "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
        if settings is not None:
            self.bucket_settings(name, settings, region=region)
        self.out.add("s3_buckets", GLOBAL)
        return name

    def bucket_settings(self, name: str, settings: BucketSettings, *, region: str | None = None) -> None:
        """Versioning, default encryption (every AWS bucket has one: SSE-S3 unless set otherwise) and
        the public access block, as the bucket's owner set them."""
        s3 = self.c("s3", region)
        if settings.versioning == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": settings.encryption},
            "BucketKeyEnabled": settings.encryption == "aws:kms"}]})
        if settings.public_access_block:
            block = dict.fromkeys(PUBLIC_ACCESS_FLAGS, True)
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)

    def alarm(self, name: str, team: str, *, namespace: str, metric: str, region: str | None = None,
              statistic: str = "Sum", period: int = 300, threshold: float = 1, evaluation_periods: int = 1,
              operator: str = "GreaterThanOrEqualToThreshold", missing: str | None = None) -> str:
        extra = {"TreatMissingData": missing} if missing else {}
        self.c("cloudwatch", region).put_metric_alarm(
            AlarmName=name, MetricName=metric, Namespace=namespace, Statistic=statistic, Period=period,
            EvaluationPeriods=evaluation_periods, Threshold=threshold, ComparisonOperator=operator,
            ActionsEnabled=True, Tags=tag_list(tags(self.spec, team)), **extra)
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




def artifacts_bucket(spec: ClientSpec) -> str:
    return f"{spec.name}-cicd-artifacts-{spec.account_id}"

