"""CloudFront (global): distributions, their origins and what kind of origin each is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, resource_row


def origin_kind(domain: str) -> str:
    """s3 | s3-website | alb | apigateway | custom, from an origin domain name (pure)."""
    if ".s3-website" in domain:
        return "s3-website"
    if ".s3." in domain or domain.endswith(".s3.amazonaws.com"):
        return "s3"
    if ".elb.amazonaws.com" in domain:
        return "alb"
    if ".execute-api." in domain:
        return "apigateway"
    return "custom"


def get_distributions(ctx: Ctx) -> list[dict[str, Any]]:
    cf = ctx.client("cloudfront")
    items: list[dict[str, Any]] = []
    for page in cf.get_paginator("list_distributions").paginate():
        items.extend(dict(i) for i in (page.get("DistributionList") or {}).get("Items", []) or [])
    for d in items:
        arn = d["ARN"]
        # the tagging API lists distributions in us-east-1 (CloudFront's control-plane region)
        d["__tags"] = ctx.tags_for(arn, "ListTagsForResource", lambda a=arn: (cf.list_tags_for_resource(Resource=a)
                                                                            .get("Tags") or {}).get("Items"),
                                   region="us-east-1")
    return items


def transform(items: list[Mapping[str, Any]], ctx: Ctx) -> Rows:
    rows = []
    for d in items:
        origins = [o["DomainName"] for o in (d.get("Origins") or {}).get("Items", []) or []]
        rows.append(resource_row(ctx, d["ARN"], d["Id"], d.get("__tags"), domain_name=d.get("DomainName"),
                                 origins=origins, origin_kinds=[origin_kind(o) for o in origins],
                                 enabled=d.get("Enabled")))
    return {"cloudfront_distributions": rows}


def collect(ctx: Ctx) -> Rows:
    return transform(get_distributions(ctx), ctx)


COLLECTOR = Collector("cloudfront", collect, ("cloudfront_distributions",),
                      operations("cloudfront", "ListDistributions", "ListTagsForResource"), bulk_tags=("cloudfront",))
