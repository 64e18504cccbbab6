"""A small hand-built inventory whose right answers are worked out by hand in the tests.

    alpha   (web)        pipeline web-alpha   github/codebuild -> stack web-alpha-stack -> ECS blue/green
                         + manual approval; a website bucket nobody owns (manual)
    bravo   (web)        pipeline web-bravo   same shape as alpha; no executions (a real zero)
    charlie (web, data)  pipeline web-charlie same, but its ECS service is rolling (drift);
                         pipeline data-etl    codecommit/codebuild -> SAM stack -> Lambda;
                         its pipeline history collector failed (unknown, not zero)
    delta   (ops)        an ECS service and a Lambda function with no stack and no pipeline (manual)
    echo    (data)       crawl failed (assume-role)
"""

from __future__ import annotations

from pathlib import Path

from audit.config import ManualStep, SprintCalendar, Survey
from audit.store.snapshots import Snapshot, write_snapshot

A, B, C, D, E = "111111111111", "222222222222", "333333333333", "444444444444", "555555555555"
REGION = "eu-west-1"
FP_WEB = "github -> codebuild -> image -> cloudformation -> ecs[blue-green] + manual-approval"
FP_WEB_ROLLING = "github -> codebuild -> image -> cloudformation -> ecs[rolling] + manual-approval"
FP_DATA = "codecommit -> codebuild -> zip -> sam -> lambda[all-at-once]"
FP_SITE = "console -> none -> static -> none -> s3-static[all-at-once]"
FP_MANUAL_ECS = "console -> none -> image -> none -> ecs[rolling]"
FP_MANUAL_FN = "console -> none -> zip -> none -> lambda[all-at-once]"
CLIENTS = {A: "alpha", B: "bravo", C: "charlie", D: "delta", E: "echo"}


def _res(account: str, name: str, kind: str, managed_by: str | None = None, **extra) -> dict:
    return {"account_id": account, "client": CLIENTS[account], "region": REGION,
            "arn": f"arn:aws:{kind}:{REGION}:{account}:{name}", "name": name, "tags": "{}",
            "managed_by": managed_by, **extra}


def _pipeline(account: str, name: str, provider: str, repo: str, stack: str) -> dict:
    return _res(account, name, "codepipeline", source_provider=provider, source_repository=repo,
                source_branch="main", build_providers=["CodeBuild"], deploy_providers=["CloudFormation"],
                deploy_stack_names=[stack], codebuild_projects=[f"{name}-build"],
                manual_approvals=1 if name.startswith("web") else 0, stage_names=["Source", "Build", "Deploy"])


def inventory_tables() -> dict[str, list[dict]]:
    accounts = [{"account_id": a, "client": c, "teams": t, "status": s, "regions": [REGION]} for a, c, t, s in [
        (A, "alpha", ["web"], "ok"), (B, "bravo", ["web"], "ok"), (C, "charlie", ["web", "data"], "partial"),
        (D, "delta", ["ops"], "ok"), (E, "echo", ["data"], "failed")]]
    pipelines = [_pipeline(a, f"web-{CLIENTS[a]}", "CodeStarSourceConnection", "org/web-app",
                           f"web-{CLIENTS[a]}-stack") for a in (A, B, C)]
    pipelines.append(_pipeline(C, "data-etl", "CodeCommit", "etl-repo", "etl-stack"))
    stacks = [_res(a, f"web-{CLIENTS[a]}-stack", "cloudformation", iac_tool="cloudformation",
                   status="UPDATE_COMPLETE") for a in (A, B, C)]
    stacks.append(_res(C, "etl-stack", "cloudformation", iac_tool="sam", status="CREATE_COMPLETE"))
    stacks.append(_res(A, "CDKToolkit", "cloudformation", iac_tool="cdk", status="CREATE_COMPLETE"))
    ecs = [_res(a, "web-svc", "ecs", f"web-{CLIENTS[a]}-stack", cluster="web",
                deployment_controller="ECS" if a == C else "CODE_DEPLOY", image_registry="ecr")
           for a in (A, B, C)]
    ecs.append(_res(D, "legacy", "ecs", None, cluster="ops", deployment_controller="ECS"))
    # the crawler decided managed_by from stack_resources (type AND physical id)
    functions = [_res(C, "etl", "lambda", "etl-stack", runtime="python3.12", package_type="Zip"),
                 _res(D, "cron-job", "lambda", None, runtime="python3.12", package_type="Zip")]
    stack_resources = [{"account_id": C, "client": "charlie", "region": REGION, "stack_name": "etl-stack",
                        "logical_id": "Etl", "physical_id": "etl", "resource_type": "AWS::Lambda::Function"}]
    buckets = [_res(A, "alpha-site", "s3", None, website=True, bucket_region=REGION),
               _res(A, "alpha-artifacts-111111111111", "s3", "web-alpha-stack", website=False),
               _res(B, "bravo-artifacts-222222222222", "s3", "web-bravo-stack", website=False)]
    roles = [_res(a, f"{CLIENTS[a]}-deploy-role", "iam", None, trust_kind="cross-account") for a in (A, B, C)]
    roles.append(_res(D, "AWSServiceRoleForECS", "iam", None, trust_kind="other"))
    roles[-1]["arn"] = f"arn:aws:iam::{D}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
    alarms = [_res(a, f"{CLIENTS[a]}-cpu-high", "cloudwatch", None, namespace="AWS/ECS",
                   metric_name="CPUUtilization") for a in (A, B, C)]
    ex = [("e1", "Succeeded", "2026-01-15T10:00:00Z", "2026-01-14T10:00:00Z"),
          ("e2", "Failed", "2026-01-20T12:00:00Z", None),
          ("e3", "Succeeded", "2026-01-20T15:00:00Z", None),
          ("e4", "Succeeded", "2026-01-29T09:00:00Z", "2026-01-28T21:00:00Z"),
          ("e5", "InProgress", None, None)]
    executions = [{"account_id": A, "client": "alpha", "region": REGION, "pipeline_name": "web-alpha",
                   "execution_id": i, "status": s, "start_time": "2026-01-01T00:00:00Z" if e is None else e,
                   "end_time": e, "source_revision_time": r} for i, s, e, r in ex]
    executions.append({"account_id": C, "client": "charlie", "region": REGION, "pipeline_name": "web-charlie",
                       "execution_id": "c1", "status": "Succeeded", "end_time": "2026-01-15T10:00:00Z"})
    errors = [{"source": "crawl", "account_id": C, "client": "charlie", "region": REGION,
               "collector": "codepipeline", "operation": "ListPipelineExecutions", "error_class": "throttling"},
              {"source": "crawl", "account_id": E, "client": "echo", "region": REGION,
               "collector": "sts", "operation": "AssumeRole", "error_class": "assume-role"}]
    repos = [{"repo": "web-app", "team": "web", "url": "https://github.com/org/web-app",
              "clients": ["alpha", "bravo", "charlie"], "status": "ok"},
             {"repo": "etl-repo", "team": "data", "url": "codecommit://etl-repo", "clients": ["charlie"],
              "status": "ok"}]
    return {"accounts": accounts, "pipelines": pipelines, "stacks": stacks, "ecs_services": ecs,
            "lambda_functions": functions, "stack_resources": stack_resources, "s3_buckets": buckets,
            "iam_roles": roles, "cloudwatch_alarms": alarms, "pipeline_executions": executions, "errors": errors,
            "repos": repos}


def surveys() -> dict[str, Survey]:
    return {"web": Survey(team="web", sprint=SprintCalendar(length_days=14, anchor="2026-01-05",
                                                             release_weekday="thu"),
                          manual_steps=[ManualStep(name="watch rollout", minutes=30)], deploys_per_sprint=2,
                          hotfixes_per_month=2)}


def write(root: Path, day: str, tables: dict[str, list[dict]]) -> Snapshot:
    return Snapshot(write_snapshot(root, day, tables, {"history_days": 28}, section="crawl"))


def failed_tables() -> dict[str, list[dict]]:
    """The same five accounts, every one failed at AssumeRole: accounts and errors, nothing else."""
    accounts = [{"account_id": a, "client": c, "teams": ["web"], "status": "failed", "regions": [REGION],
                 "error_count": 1} for a, c in CLIENTS.items()]
    errors = [{"source": "crawl", "account_id": a, "client": c, "region": "global", "collector": "session",
               "operation": "AssumeRole", "error_class": "unreachable", "error_code": "EndpointConnectionError"}
              for a, c in CLIENTS.items()]
    return {"accounts": accounts, "errors": errors}


def write_failed(root: Path, day: str) -> Snapshot:
    """A crawl in which every account failed, with the manifest counts the crawler writes."""
    counts = {"history_days": 28, "accounts_total": len(CLIENTS), "accounts_ok": 0, "accounts_partial": 0,
              "accounts_failed": len(CLIENTS)}
    return Snapshot(write_snapshot(root, day, failed_tables(), counts, section="crawl"))


def write_scan_only(root: Path, day: str) -> Snapshot:
    """No crawl at all, only a scan: repos and nothing from AWS."""
    return Snapshot(write_snapshot(root, day, {"repos": inventory_tables()["repos"]}, {"repos_total": 2},
                                   section="scan"))
