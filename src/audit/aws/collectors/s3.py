"""S3 (global, once per account): buckets, their region, website hosting and tags.

ListBuckets goes through botocore's paginator with `MaxBuckets` (unpaginated ListBuckets is
refused for accounts whose bucket quota is over 10,000), which also makes AWS return each
bucket's `BucketRegion`; GetBucketLocation is only asked where that is absent (S3-compatible
endpoints, moto). Per-bucket calls go to a client of the bucket's own region, so real S3 need not
redirect them; where the region is unknown they go to the home region and botocore's region
redirector follows S3's 301 (it may send HeadBucket on that client: declared for that reason).
A missing website configuration or tag set is an answer ("none"), not an error; any other
failure of those calls is an error row for that bucket only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, resource_row

ABSENT = {"NoSuchWebsiteConfiguration", "NoSuchTagSet", "NoSuchTagSetError"}
MAX_BUCKETS = 10_000  # the model's maximum page size for ListBuckets


def _absent_ok(fn: Callable[[], Any], absent: Any) -> Any:
    try:
        return fn()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ABSENT:
            return absent
        raise


def location_region(constraint: str | None) -> str:
    """GetBucketLocation's LocationConstraint as a region name: null means us-east-1 and the legacy
    value `EU` means eu-west-1 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html)."""
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


def list_buckets(ctx: Ctx) -> list[dict[str, Any]]:
    """Every bucket, paged (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html)."""
    paginator = ctx.client("s3").get_paginator("list_buckets")
    return [dict(b) for page in paginator.paginate(PaginationConfig={"PageSize": MAX_BUCKETS})
            for b in page.get("Buckets", []) or []]


def get_buckets(ctx: Ctx) -> list[dict[str, Any]]:
    home = ctx.client("s3")
    buckets = list_buckets(ctx)
    for b in buckets:
        name = b["Name"]
        if not b.get("BucketRegion"):
            b["BucketRegion"] = ctx.soft("GetBucketLocation", lambda n=name: location_region(
                home.get_bucket_location(Bucket=n).get("LocationConstraint")))
        s3 = ctx.client("s3", b["BucketRegion"]) if b.get("BucketRegion") else home
        b["__website"] = ctx.soft("GetBucketWebsite", _absent_ok,
                                  lambda n=name, c=s3: bool(c.get_bucket_website(Bucket=n)), False)
        # the tagging API lists a bucket in the bucket's own region
        b["__tags"] = ctx.tags_for(f"arn:{ctx.partition}:s3:::{name}", "GetBucketTagging", lambda n=name, c=s3: _absent_ok(
            lambda: c.get_bucket_tagging(Bucket=n).get("TagSet", []), []), region=b.get("BucketRegion"), default=[])
    return buckets


def transform(buckets: list[Mapping[str, Any]], ctx: Ctx) -> Rows:
    return {"s3_buckets": [resource_row(ctx, ctx.arn("s3", b["Name"], region="", account=""), b["Name"],
                                        b.get("__tags"), website=b.get("__website"),
                                        bucket_region=b.get("BucketRegion"))
                           for b in buckets]}


def collect(ctx: Ctx) -> Rows:
    return transform(get_buckets(ctx), ctx)


COLLECTOR = Collector("s3", collect, ("s3_buckets",),
                      # HeadBucket: botocore's S3 region redirector sends it on the calling client when a
                      # wrong-region answer names no region (botocore.utils.S3RegionRedirectorv2)
                      operations("s3", "ListBuckets", "GetBucketLocation", "GetBucketWebsite", "GetBucketTagging",
                                 "HeadBucket"), bulk_tags=("s3",))
