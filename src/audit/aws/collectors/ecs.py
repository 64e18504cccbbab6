"""ECS: clusters (DescribeClusters by 100) and services (DescribeServices by 10) with the image,
registry and environment variable names of their task definition (values never kept)."""

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
        td = service.get("taskDefinition")
        if td and td not in task_defs:
            task_defs[td] = ctx.soft("DescribeTaskDefinition", lambda t=td: ecs.describe_task_definition(
                taskDefinition=t)["taskDefinition"], default={})
    return {"clusters": clusters, "services": services, "task_defs": task_defs}


def transform(raw: Mapping[str, Any], ctx: Ctx) -> Rows:
    clusters = [resource_row(ctx, c["clusterArn"], c["clusterName"], c.get("tags"), tag_key="key", tag_value="value",
                             status=c.get("status"), service_count=c.get("activeServicesCount"))
                for c in raw["clusters"]]
    services, findings = [], []
    for s in raw["services"]:
        td = raw["task_defs"].get(s.get("taskDefinition"), {}) or {}
        containers = td.get("containerDefinitions", []) or []
        image = next((c.get("image") for c in containers if c.get("image")), None)
        env_names = [e["name"] for c in containers for e in c.get("environment", []) or []]
        launch = s.get("launchType") or ("CAPACITY_PROVIDER" if s.get("capacityProviderStrategy") else None)
        breaker = (s.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker") or {}
        services.append(resource_row(
            ctx, s["serviceArn"], s["serviceName"], s.get("tags"), tag_key="key", tag_value="value",
            cluster=s.get("clusterArn", "").rsplit("/", 1)[-1], launch_type=launch,
            deployment_controller=(s.get("deploymentController") or {}).get("type", "ECS"),
            desired_count=s.get("desiredCount"), task_definition=s.get("taskDefinition"),
            image=strip_tag(image), image_registry=image_registry(image),
            env_var_names=env_names, rollback_on_failure=bool(breaker.get("rollback")),
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
