"""CodeDeploy: applications, deployment groups, deployments of the last N days.

Batch APIs first (BatchGetApplications, BatchGetDeploymentGroups, BatchGetDeployments), one batch
at a time; when an endpoint does not implement one, the per-item Get* call returns the same
documents, so the rows are identical on real AWS and on emulators that lack the batch call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from audit.aws.collectors.base import Collector, Ctx, Rows, chunks, operations, pages, resource_row
from audit.aws.failures import AWS_ERRORS, classify


def batched(ctx: Ctx, items: Sequence[str], size: int, batch: Callable[[list[str]], list[dict[str, Any]]],
            single: Callable[[str], dict[str, Any]], single_op: str) -> list[dict[str, Any]]:
    """Documents by batch call, one batch at a time: a failed batch is an errors row and loses that
    batch only. When the endpoint does not implement the batch call, the rest go one item per call
    (`single`, named `single_op`), each failing alone."""
    out: list[dict[str, Any]] = []
    per_item = False
    for part in chunks(list(items), size):
        if not per_item:
            try:
                out.extend(batch(list(part)))
                continue
            except AWS_ERRORS as exc:
                if classify(exc)[0] != "not-implemented":
                    ctx.error(exc)
                    continue
                per_item = True
        out.extend(ctx.each(single_op, part, single))
    return out


def get_codedeploy(ctx: Ctx) -> dict[str, Any]:
    """Applications, their groups (listed per application name, so a failed BatchGetApplications
    costs the application rows only) and deployments: three independent chains."""
    cd = ctx.client("codedeploy")
    names = ctx.soft("ListApplications", pages, cd, "list_applications", "applications", default=[])
    apps = batched(ctx, names, 100, lambda p: cd.batch_get_applications(applicationNames=p)["applicationsInfo"],
                   lambda n: cd.get_application(applicationName=n)["application"], "GetApplication")
    for app in apps:
        app_name = app["applicationName"]
        app["__tags"] = ctx.tags_for(_app_arn(ctx, app_name), "ListTagsForResource", lambda a=app_name:
                                     cd.list_tags_for_resource(ResourceArn=_app_arn(ctx, a)).get("Tags", []))
    groups: list[dict[str, Any]] = []
    for app_name in names:
        group_names = ctx.soft("ListDeploymentGroups", pages, cd, "list_deployment_groups", "deploymentGroups",
                               applicationName=app_name, default=[])
        found = batched(
            ctx, group_names, 100,
            lambda p, a=app_name: cd.batch_get_deployment_groups(applicationName=a, deploymentGroupNames=p)
            ["deploymentGroupsInfo"],
            lambda g, a=app_name: cd.get_deployment_group(applicationName=a, deploymentGroupName=g)
            ["deploymentGroupInfo"], "GetDeploymentGroup")
        for group in found:
            arn = _group_arn(ctx, app_name, group["deploymentGroupName"])
            group["__tags"] = ctx.tags_for(arn, "ListTagsForResource", lambda a=arn: cd.list_tags_for_resource(
                ResourceArn=a).get("Tags", []))
        groups.extend(found)
    deployments = ctx.soft("ListDeployments", _deployments, cd, ctx, default=[])
    return {"applications": apps, "groups": groups, "deployments": deployments}


def _deployments(cd: Any, ctx: Ctx) -> list[dict[str, Any]]:
    """Deployments created in the window. If the endpoint cannot filter by time (moto fails on
    createTimeRange), list them all and filter here: the same rows, more calls."""
    try:
        window = {"start": ctx.since, **({"end": ctx.until} if ctx.until else {})}
        ids = pages(cd, "list_deployments", "deployments", createTimeRange=window)
    except ClientError as exc:
        if classify(exc)[0] != "not-implemented":
            raise
        ids = pages(cd, "list_deployments", "deployments")
    found = batched(ctx, ids, 25, lambda p: cd.batch_get_deployments(deploymentIds=p)["deploymentsInfo"],
                    lambda d: cd.get_deployment(deploymentId=d)["deploymentInfo"], "GetDeployment")
    return [d for d in found if d.get("createTime") is None or ctx.in_window(d["createTime"])]


def _app_arn(ctx: Ctx, app: str) -> str:
    return ctx.arn("codedeploy", f"application:{app}")


def _group_arn(ctx: Ctx, app: str, group: str) -> str:
    return ctx.arn("codedeploy", f"deploymentgroup:{app}/{group}")


def _asg_names(group: Mapping[str, Any]) -> list[str]:
    names = [a.get("name") if isinstance(a, dict) else a for a in group.get("autoScalingGroups") or []]
    return [n for n in names if n]


def _ecs_services(group: Mapping[str, Any]) -> list[str]:
    """`cluster/service` of each ECS service the group deploys (ECSService: serviceName, clusterName;
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ECSService.html)."""
    return [f"{s['clusterName']}/{s['serviceName']}" for s in group.get("ecsServices") or []
            if s.get("clusterName") and s.get("serviceName")]


def target_kind(group: Mapping[str, Any]) -> str:
    if group.get("ecsServices"):
        return "ecs"
    if group.get("computePlatform") == "Lambda":
        return "lambda"
    if _asg_names(group):
        return "autoscaling"
    if group.get("onPremisesInstanceTagFilters") or group.get("onPremisesTagSet"):
        return "on-premises"
    return "ec2-tags"


def transform(raw: Mapping[str, Any], ctx: Ctx) -> Rows:
    apps = [resource_row(ctx, _app_arn(ctx, a["applicationName"]), a["applicationName"], a.get("__tags"),
                         compute_platform=a.get("computePlatform")) for a in raw["applications"]]
    groups = []
    for g in raw["groups"]:
        rollback = g.get("autoRollbackConfiguration") or {}
        alarms = (g.get("alarmConfiguration") or {}).get("alarms") or []
        style = g.get("deploymentStyle") or {}
        groups.append(resource_row(
            ctx, _group_arn(ctx, g["applicationName"], g["deploymentGroupName"]), g["deploymentGroupName"],
            g.get("__tags"), application_name=g["applicationName"], compute_platform=g.get("computePlatform"),
            deployment_config=g.get("deploymentConfigName"),
            deployment_type=style.get("deploymentType", "IN_PLACE"),
            auto_rollback=bool(rollback.get("enabled")), rollback_alarms=[a["name"] for a in alarms if a.get("name")],
            target_kind=target_kind(g), autoscaling_groups=_asg_names(g),
            service_role=g.get("serviceRoleArn"), ecs_services=_ecs_services(g),
        ))
    deployments = []
    for d in raw["deployments"]:
        rollback_info = d.get("rollbackInfo") or {}
        deployments.append({
            **ctx.where, "application_name": d.get("applicationName"), "group_name": d.get("deploymentGroupName"),
            "deployment_id": d["deploymentId"], "status": d.get("status"), "create_time": d.get("createTime"),
            "complete_time": d.get("completeTime"), "creator": d.get("creator"),
            "rollback": d.get("creator") == "codeDeployRollback"
            or bool(rollback_info.get("rollbackTriggeringDeploymentId")),
        })
    return {"codedeploy_applications": apps, "codedeploy_groups": groups, "codedeploy_deployments": deployments}


def collect(ctx: Ctx) -> Rows:
    return transform(get_codedeploy(ctx), ctx)


COLLECTOR = Collector(
    "codedeploy", collect, ("codedeploy_applications", "codedeploy_groups", "codedeploy_deployments"),
    operations("codedeploy", "ListApplications", "BatchGetApplications", "GetApplication", "ListDeploymentGroups",
               "BatchGetDeploymentGroups", "GetDeploymentGroup", "ListDeployments", "BatchGetDeployments",
               "GetDeployment", "ListTagsForResource"),
    bulk_tags=("codedeploy",),
)
