"""S3 (global, once per account): buckets, their region, website hosting and tags.

A missing website configuration or tag set is an answer ("none"), not an error; any other
failure of those calls is an error row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, pages, resource_row

ABSENT = {"NoSuchWebsiteConfiguration", "NoSuchTagSet", "NoSuchTagSetError"}


def _absent_ok(fn: Callable[[], Any], absent: Any) -> Any:
    try:
        return fn()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ABSENT:
            return absent
        raise


def get_buckets(ctx: Ctx) -> list[dict[str, Any]]:
    s3 = ctx.client("s3")
    buckets = [dict(b) for b in pages(s3, "list_buckets", "Buckets")]
    for b in buckets:
        name = b["Name"]
        if not b.get("BucketRegion"):
            b["BucketRegion"] = ctx.soft("GetBucketLocation", lambda n=name: s3.get_bucket_location(Bucket=n)
                                         .get("LocationConstraint") or "us-east-1")
        b["__website"] = ctx.soft("GetBucketWebsite", _absent_ok,
                                  lambda n=name: bool(s3.get_bucket_website(Bucket=n)), False)
        # the tagging API lists a bucket in the bucket's own region
        b["__tags"] = ctx.tags_for(f"arn:aws:s3:::{name}", "GetBucketTagging", lambda n=name: _absent_ok(
            lambda: s3.get_bucket_tagging(Bucket=n).get("TagSet", []), []), region=b.get("BucketRegion"), default=[])
    return buckets


def transform(buckets: list[Mapping[str, Any]], ctx: Ctx) -> Rows:
    return {"s3_buckets": [resource_row(ctx, f"arn:aws:s3:::{b['Name']}", b["Name"], b.get("__tags"),
                                        website=b.get("__website"), bucket_region=b.get("BucketRegion"))
                           for b in buckets]}


def collect(ctx: Ctx) -> Rows:
    return transform(get_buckets(ctx), ctx)


COLLECTOR = Collector("s3", collect, ("s3_buckets",),
                      # HeadBucket: botocore's S3 region redirector sends it on this client when a
                      # wrong-region answer names no region (botocore.utils.S3RegionRedirectorv2)
                      operations("s3", "ListBuckets", "GetBucketLocation", "GetBucketWebsite", "GetBucketTagging",
                                 "HeadBucket"), bulk_tags=("s3",))
