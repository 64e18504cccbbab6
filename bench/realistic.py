"""The realistic-client profile for bench/crawl.py: demo fleet accounts with a real client's resources added.

Issue 12's realistic client, per account in its home region: 30 pipelines with 50 executions each
(CodeBuild project and builds beside each, a CodeCommit repository holding each execution's
commit), 200 Lambda functions, 50 stacks, 150 alarms, 100 buckets, 20 ECR repositories with
images, 10 CodeDeploy applications with a group and deployments. The sizes are the account's
totals: what the demo fleet already put there (a few buckets, stacks, pipelines with their own
history, a repository, an application) counts, and only the rest is seeded, so an account is the
issue's client (its measurement of 995 calls was of exactly these sizes: S3 301 = 1 + 3 x 100).
Everything is tagged like the fleet's own resources. Written through boto3 into the fleet's moto
(history straight into moto's backends, as audit.demo.history does), with the fleet's faults off, so
every row is complete and the calls counted are the calls a complete crawl makes. Buckets are fleet
buckets (ListBuckets gives each one's BucketRegion, as AWS does), and BatchGetDeploymentGroups, the
CodeCommit batch calls and GetResources' pages are answered as AWS answers them
(audit.demo.moto_patches): moto's gaps do not add calls real AWS would not get, and its one-page
answers do not hide the pages AWS would cut (ListFunctions by 50, DescribeAlarms by MaxRecords).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.demo import backend_fixes, moto_patches
from audit.demo.seed import Clients, act_as, tag_list, trust

SIZES = {"pipelines": 30, "executions": 50, "functions": 200, "stacks": 50, "alarms": 150, "buckets": 100,
         "ecr": 20, "images": 5, "codedeploy": 10, "builds": 5}


def _tags(account: str, n: int) -> dict[str, str]:
    return {"client": f"realistic-{account}", "team": ("web", "data", "java", "ops")[n % 4], "env": "prod",
            "cost-center": f"cc-{n % 7}"}


def seed_realistic(endpoint: str, account_ids: list[str], regions: dict[str, str], now: datetime | None = None,
                   factor: float = 1.0) -> dict[str, dict[str, int]]:
    """Bring every account to SIZES (x factor) in its home region; returns what each account then holds."""
    moto_patches.install()
    if factor != 1.0:
        SIZES.update({k: max(1, round(v * factor)) for k, v in SIZES.items()})
    clients = Clients(endpoint)
    now = now or datetime.now(UTC)

    def one(account: str) -> dict[str, int]:
        act_as(account)
        return _Account(clients, account, regions[account], now).seed()

    with ThreadPoolExecutor(4) as pool:
        return dict(zip(account_ids, pool.map(one, account_ids), strict=True))


class _Account:
    def __init__(self, clients: Clients, account: str, region: str, now: datetime) -> None:
        self.c = lambda service: clients(service, region)
        self.account, self.region, self.now = account, region, now
        self.made: dict[str, int] = {}

    def seed(self) -> dict[str, int]:
        self.made = self.existing()
        for step in (self.functions, self.alarms, self.buckets, self.ecr, self.stacks, self.pipelines,
                     self.codedeploy):
            step()
        return self.made

    def existing(self) -> dict[str, int]:
        """What the fleet already put in this account (its home region; buckets account-wide)."""
        def count(service: str, op: str, key: str, keep: Callable[[Any], bool] = bool) -> int:
            return sum(1 for page in self.c(service).get_paginator(op).paginate() for x in page[key] if keep(x))

        return {"functions": count("lambda", "list_functions", "Functions"),
                "alarms": count("cloudwatch", "describe_alarms", "MetricAlarms"),
                "buckets": len(self.c("s3").list_buckets()["Buckets"]),
                "ecr": count("ecr", "describe_repositories", "repositories"),
                "stacks": count("cloudformation", "describe_stacks", "Stacks",
                                lambda s: s["StackStatus"] != "DELETE_COMPLETE"),
                "pipelines": count("codepipeline", "list_pipelines", "pipelines"),
                "codedeploy": count("codedeploy", "list_applications", "applications")}

    def wanted(self, what: str) -> range:
        """Indices of the objects still to seed so the account holds SIZES[what] in all."""
        return range(max(0, SIZES[what] - self.made.get(what, 0)))

    def _count(self, what: str, n: int = 1) -> None:
        self.made[what] = self.made.get(what, 0) + n

    def role(self, name: str, service: str) -> str:
        self.c("iam").create_role(RoleName=name, AssumeRolePolicyDocument=trust({"Service": service}))
        return f"arn:aws:iam::{self.account}:role/{name}"

    def functions(self) -> None:
        role = self.role("bench-lambda-role", "lambda.amazonaws.com")
        lam = self.c("lambda")
        for n in self.wanted("functions"):
            lam.create_function(FunctionName=f"bench-fn-{n:03d}", Runtime="python3.12", Role=role,
                                Handler="app.handler", Code={"ZipFile": _zip()}, MemorySize=256,
                                Environment={"Variables": {"LOG_LEVEL": "INFO", "TABLE": f"t{n}"}},
                                Tags=_tags(self.account, n))
            self._count("functions")

    def alarms(self) -> None:
        cw = self.c("cloudwatch")
        for n in self.wanted("alarms"):
            cw.put_metric_alarm(AlarmName=f"bench-alarm-{n:03d}", MetricName="Errors", Namespace="AWS/Lambda",
                                Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanOrEqualToThreshold",
                                Tags=tag_list(_tags(self.account, n)))
            self._count("alarms")

    def buckets(self) -> None:
        s3 = self.c("s3")
        extra = {"CreateBucketConfiguration": {"LocationConstraint": self.region}} if self.region != "us-east-1" else {}
        for n in self.wanted("buckets"):
            name = f"bench-{self.account}-{n:03d}"
            s3.create_bucket(Bucket=name, **extra)
            backend_fixes.s3_bucket(self.account, name)  # listed as AWS lists it: with its BucketRegion
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(_tags(self.account, n))})
            self._count("buckets")

    def ecr(self) -> None:
        from moto.ecr.models import ecr_backends

        ecr = self.c("ecr")
        backend = ecr_backends[self.account][self.region]
        for n in self.wanted("ecr"):
            name = f"bench-repo-{n:02d}"
            ecr.create_repository(repositoryName=name, tags=tag_list(_tags(self.account, n)))
            for i in range(SIZES["images"]):
                manifest = json.dumps({"schemaVersion": 2, "config": {
                    "digest": "sha256:" + hashlib.sha256(f"{name}:{i}".encode()).hexdigest(), "size": 1,
                    "mediaType": "application/vnd.docker.container.image.v1+json"}, "layers": [],
                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json"})
                backend.put_image(name, manifest, f"v{i}")
            self._count("ecr")

    def stacks(self) -> None:
        cfn = self.c("cloudformation")
        for n in self.wanted("stacks"):
            template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic",
                                                "Properties": {"TopicName": f"bench-topic-{n:02d}"}}}}
            cfn.create_stack(StackName=f"bench-stack-{n:02d}", TemplateBody=json.dumps(template),
                             Tags=tag_list(_tags(self.account, n)))
            self._count("stacks")

    def pipelines(self) -> None:
        from moto.codebuild.models import codebuild_backends
        from moto.codepipeline.models import codepipeline_backends

        pipe_role = self.role("bench-pipeline-role", "codepipeline.amazonaws.com")
        build_role = self.role("bench-build-role", "codebuild.amazonaws.com")
        cp, cb, cc = self.c("codepipeline"), self.c("codebuild"), self.c("codecommit")
        builds = codebuild_backends[self.account][self.region]
        for n in self.wanted("pipelines"):
            name = f"bench-pipe-{n:02d}"
            cc.create_repository(repositoryName=name, tags=_tags(self.account, n))  # the pipeline's source
            backend_fixes.codecommit_repository(self.account, self.region, name, _tags(self.account, n))
            cb.create_project(name=name, source={"type": "CODEPIPELINE", "location": "codepipeline"},
                              artifacts={"type": "CODEPIPELINE", "location": "codepipeline"},
                              environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                                           "computeType": "BUILD_GENERAL1_SMALL"},
                              serviceRole=build_role, tags=tag_list(_tags(self.account, n), "key", "value"))
            cp.create_pipeline(pipeline={
                "name": name, "roleArn": pipe_role, "artifactStore": {"type": "S3", "location": "artifacts"},
                "stages": [
                    {"name": "Source", "actions": [{"name": "Source", "actionTypeId": {
                        "category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
                        "configuration": {"RepositoryName": name, "BranchName": "main"},
                        "outputArtifacts": [{"name": "SourceOutput"}]}]},
                    {"name": "Build", "actions": [{"name": "Build", "actionTypeId": {
                        "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                        "configuration": {"ProjectName": name}, "inputArtifacts": [{"name": "SourceOutput"}]}]}]},
                tags=tag_list(_tags(self.account, n), "key", "value"))
            pipeline = codepipeline_backends[self.account][self.region].pipelines[name]
            for i in range(SIZES["executions"]):  # one every ~14 hours, inside a 30-day window
                start = self.now - timedelta(hours=14 * (SIZES["executions"] - i), minutes=n)
                sha = hashlib.sha1(f"{name}:{i}".encode()).hexdigest()
                committed = start - timedelta(minutes=20 + i % 40)
                backend_fixes.codecommit_commit(self.account, self.region, name, sha, f"change {i}", committed)
                execution = moto_patches.FleetExecution(
                    pipeline_name=name, pipeline_version=1, execution_id=str(uuid.uuid5(uuid.NAMESPACE_URL, sha)),
                    status="Succeeded", start=start, end=start + timedelta(minutes=9),
                    trigger=("CloudWatchEvent", f"arn:aws:events:{self.region}:{self.account}:rule/{name}"),
                    revision={"revisionId": sha, "revisionSummary": f"change {i}", "created": committed})
                pipeline.executions[execution.pipeline_execution_id] = execution
            for i in range(SIZES["builds"]):
                start = self.now - timedelta(days=i + 1, minutes=n)
                build_id = f"{name}:{uuid.uuid5(uuid.NAMESPACE_URL, f'{name}/{i}')}"
                iso = start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
                builds.build_history[name].append(build_id)
                builds.build_metadata_history[name].append({
                    "id": build_id, "arn": f"arn:aws:codebuild:{self.region}:{self.account}:build/{build_id}",
                    "buildNumber": i + 1, "startTime": iso, "endTime": iso, "currentPhase": "COMPLETED",
                    "buildStatus": "SUCCEEDED", "projectName": name, "source": {"type": "CODEPIPELINE"},
                    "initiator": f"codepipeline/{name}", "buildComplete": True})
            self._count("pipelines")
            self._count("executions", SIZES["executions"])

    def codedeploy(self) -> None:
        cd = self.c("codedeploy")
        role = self.role("bench-codedeploy-role", "codedeploy.amazonaws.com")
        for n in self.wanted("codedeploy"):
            app = f"bench-app-{n:02d}"
            cd.create_application(applicationName=app, computePlatform="Server",
                                  tags=tag_list(_tags(self.account, n)))
            cd.create_deployment_group(applicationName=app, deploymentGroupName=f"{app}-prod", serviceRoleArn=role,
                                       tags=tag_list(_tags(self.account, n)))
            self._count("codedeploy")


def _zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buf.getvalue()


def summary(made: dict[str, dict[str, int]]) -> str:
    first = next(iter(made.values()), {})
    return (", ".join(f"{k} {v}" for k, v in first.items())
            + f" (per account, the fleet's own included; executions: seeded pipelines', {len(made)} accounts)")


__all__ = ["SIZES", "seed_realistic", "summary"]
