"""ECR: repositories with scan-on-push, tag mutability and image count."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, pages, resource_row


def get_repositories(ctx: Ctx) -> list[dict[str, Any]]:
    ecr = ctx.client("ecr")
    repos = [dict(r) for r in pages(ecr, "describe_repositories", "repositories")]
    for repo in repos:
        name, arn = repo["repositoryName"], repo["repositoryArn"]
        repo["__images"] = ctx.soft("ListImages", lambda n=name: len(pages(ecr, "list_images", "imageIds",
                                                                           repositoryName=n)))
        repo["__tags"] = ctx.tags_for(arn, "ListTagsForResource", lambda a=arn: ecr.list_tags_for_resource(
            resourceArn=a).get("tags"))
    return repos


def transform(repos: list[Mapping[str, Any]], ctx: Ctx) -> Rows:
    return {"ecr_repositories": [resource_row(
        ctx, r["repositoryArn"], r["repositoryName"], r.get("__tags"),
        scan_on_push=bool((r.get("imageScanningConfiguration") or {}).get("scanOnPush")),
        tag_mutability=r.get("imageTagMutability"), image_count=r.get("__images"),
    ) for r in repos]}


def collect(ctx: Ctx) -> Rows:
    return transform(get_repositories(ctx), ctx)


COLLECTOR = Collector("ecr", collect, ("ecr_repositories",),
                      operations("ecr", "DescribeRepositories", "ListImages", "ListTagsForResource"), bulk_tags=("ecr",))
