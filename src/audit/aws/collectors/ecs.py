"""ECS: clusters (DescribeClusters by 100) and services (DescribeServices by 10) with the image,
registry and environment variable names of their task definition (values never kept), and how
each deploys: its controller, the ECS-native strategy and its rollback gates.

A service with the EXTERNAL (or CODE_DEPLOY) controller may have no `taskDefinition` of its own:
its task definition is that of its PRIMARY task set (`taskSets[]`, returned by DescribeServices).
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import (
    Collector,
    Ctx,
    Rows,
    chunks,
    image_registry,
    operations,
    pages,
    resource_row,
    secret_findings,
    strip_tag,
)


def get_ecs(ctx: Ctx) -> dict[str, Any]:
    ecs = ctx.client("ecs")
    arns = pages(ecs, "list_clusters", "clusterArns")
    # clusters and services are separate chains from the listing: one failed batch costs its own rows
    parts = ctx.each("DescribeClusters", chunks(arns, 100), lambda part: ecs.describe_clusters(
        clusters=list(part), include=["TAGS"]).get("clusters", []))
    clusters = [c for part in parts for c in part]
    services: list[dict[str, Any]] = []
    task_defs: dict[str, dict[str, Any]] = {}
    for cluster_arn in arns:
        service_arns = ctx.soft("ListServices", pages, ecs, "list_services", "serviceArns", cluster=cluster_arn,
                                default=[])
        for part in ctx.each("DescribeServices", chunks(service_arns, 10), lambda p, c=cluster_arn: ecs.describe_services(
                cluster=c, services=list(p), include=["TAGS"]).get("services", [])):
            services.extend(part)
    for service in services:
        td = task_definition(service)
        if td and td not in task_defs:
            task_defs[td] = ctx.soft("DescribeTaskDefinition", lambda t=td: ecs.describe_task_definition(
                taskDefinition=t)["taskDefinition"], default={})
    return {"clusters": clusters, "services": services, "task_defs": task_defs}


def task_definition(service: Mapping[str, Any]) -> str | None:
    """The service's task definition, else its PRIMARY task set's (EXTERNAL controller), else the
    first task set's (pure)."""
    if service.get("taskDefinition"):
        return str(service["taskDefinition"])
    sets = [t for t in service.get("taskSets") or [] if t.get("taskDefinition")]
    primary = next((t for t in sets if t.get("status") == "PRIMARY"), sets[0] if sets else None)
    return str(primary["taskDefinition"]) if primary else None


def deployment(service: Mapping[str, Any]) -> dict[str, Any]:
    """How an ECS service deploys and what rolls it back (pure): the ECS-native strategy
    (ROLLING | BLUE_GREEN | LINEAR | CANARY; ROLLING when absent, null when CodeDeploy or an external
    controller deploys), the circuit breaker's rollback and the CloudWatch alarms that roll back."""
    controller = (service.get("deploymentController") or {}).get("type", "ECS")
    config = service.get("deploymentConfiguration") or {}
    breaker = config.get("deploymentCircuitBreaker") or {}
    alarms = config.get("alarms") or {}
    return {
        "deployment_controller": controller,
        "deployment_strategy": (config.get("strategy") or "ROLLING") if controller == "ECS" else None,
        "rollback_on_failure": bool(breaker.get("enable") and breaker.get("rollback")),
        "rollback_alarms": list(alarms.get("alarmNames") or []) if alarms.get("enable") and alarms.get("rollback")
        else [],
    }


def transform(raw: Mapping[str, Any], ctx: Ctx) -> Rows:
    clusters = [resource_row(ctx, c["clusterArn"], c["clusterName"], c.get("tags"), tag_key="key", tag_value="value",
                             status=c.get("status"), service_count=c.get("activeServicesCount"))
                for c in raw["clusters"]]
    services, findings = [], []
    for s in raw["services"]:
        td_arn = task_definition(s)
        td = raw["task_defs"].get(td_arn, {}) or {}
        containers = td.get("containerDefinitions", []) or []
        image = next((c.get("image") for c in containers if c.get("image")), None)
        env_names = [e["name"] for c in containers for e in c.get("environment", []) or []]
        launch = s.get("launchType") or ("CAPACITY_PROVIDER" if s.get("capacityProviderStrategy") else None)
        services.append(resource_row(
            ctx, s["serviceArn"], s["serviceName"], s.get("tags"), tag_key="key", tag_value="value",
            cluster=s.get("clusterArn", "").rsplit("/", 1)[-1], launch_type=launch,
            desired_count=s.get("desiredCount"), task_definition=td_arn,
            image=strip_tag(image), image_registry=image_registry(image), env_var_names=env_names,
            **deployment(s),
        ))
        findings += secret_findings(ctx.where, "ecs", s["serviceArn"], s["serviceName"], env_names)
    return {"ecs_clusters": clusters, "ecs_services": services, "findings": findings}


def collect(ctx: Ctx) -> Rows:
    return transform(get_ecs(ctx), ctx)


COLLECTOR = Collector(
    "ecs", collect, ("ecs_clusters", "ecs_services", "findings"),
    operations("ecs", "ListClusters", "DescribeClusters", "ListServices", "DescribeServices",
               "DescribeTaskDefinition"),
)
