"""S3 (global, once per account): buckets, their region, website hosting and tags.

ListBuckets goes through botocore's paginator with `MaxBuckets` (unpaginated ListBuckets is
refused for accounts whose bucket quota is over 10,000), which also makes AWS return each
bucket's `BucketRegion`; GetBucketLocation is only asked where that is absent (S3-compatible
endpoints, moto). Per-bucket calls go to a client of the bucket's own region, so real S3 need not
redirect them; where the region is unknown they go to the home region and botocore's region
redirector follows S3's 301 (it may send HeadBucket on that client: declared for that reason).
A missing website configuration or tag set is an answer ("none"), not an error; any other
failure of those calls is an error row for that bucket only.

Delivery buckets only (audit.names.BUCKET_PURPOSES: artifacts, CDK assets, SAM packages, Terraform
state) get their versioning, default encryption and public access block read (three calls each),
for the onboarding baseline: reading every bucket's would add three calls per bucket (300 for a
client with 100 buckets). Each of the three fails on its own (an errors row, that value null).
A missing default encryption or public access block is an answer ("none", false), not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, resource_row
from audit.names import is_delivery_bucket

# error codes that mean "not configured": an answer, not a failure
ABSENT = {"NoSuchWebsiteConfiguration", "NoSuchTagSet", "NoSuchTagSetError",
          # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html (S3-compatible
          # endpoints, moto; AWS itself encrypts every bucket with SSE-S3 since 2023-01-05:
          # https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html)
          "ServerSideEncryptionConfigurationNotFoundError",
          # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetPublicAccessBlock.html
          "NoSuchPublicAccessBlockConfiguration"}
MAX_BUCKETS = 10_000  # the model's maximum page size for ListBuckets
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


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
        b["__settings"] = get_settings(ctx, s3, name) if is_delivery_bucket(name) else None
    return buckets


def get_settings(ctx: Ctx, s3: Any, name: str) -> dict[str, Any]:
    """A delivery bucket's raw settings answers, each None when its call failed (an errors row);
    a missing encryption or public access block configuration is an empty answer."""
    return {
        "versioning": ctx.soft("GetBucketVersioning", lambda: dict(s3.get_bucket_versioning(Bucket=name))),
        "encryption": ctx.soft("GetBucketEncryption", _absent_ok, lambda: s3.get_bucket_encryption(
            Bucket=name)["ServerSideEncryptionConfiguration"], {"Rules": []}),
        "public_access": ctx.soft("GetPublicAccessBlock", _absent_ok, lambda: s3.get_public_access_block(
            Bucket=name)["PublicAccessBlockConfiguration"], {}),
    }


def versioning(answer: Mapping[str, Any] | None) -> str | None:
    """GetBucketVersioning's Status; AWS omits it for a bucket whose versioning was never enabled."""
    return None if answer is None else answer.get("Status") or "Disabled"


def encryption(config: Mapping[str, Any] | None) -> tuple[str | None, bool | None]:
    """(SSE algorithm, bucket key) of the first default-encryption rule; ('none', False) without one."""
    if config is None:
        return None, None
    rules = config.get("Rules") or []
    if not rules:
        return "none", False
    rule = rules[0]
    return ((rule.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm") or "none",
            bool(rule.get("BucketKeyEnabled")))


def public_access_blocked(config: Mapping[str, Any] | None) -> bool | None:
    """True when all four public access block flags are on; False when any is off or none is set."""
    return None if config is None else all(config.get(flag) is True for flag in PUBLIC_ACCESS_FLAGS)


def settings_columns(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings columns of one bucket from get_settings' answers (pure): all null when its
    settings were not asked for (None: not a delivery bucket)."""
    raw = settings or {}
    algorithm, bucket_key = encryption(raw.get("encryption"))
    return {"settings_read": settings is not None, "versioning": versioning(raw.get("versioning")),
            "encryption": algorithm, "bucket_key_enabled": bucket_key,
            "public_access_blocked": public_access_blocked(raw.get("public_access"))}


def transform(buckets: list[Mapping[str, Any]], ctx: Ctx) -> Rows:
    return {"s3_buckets": [resource_row(ctx, ctx.arn("s3", b["Name"], region="", account=""), b["Name"],
                                        b.get("__tags"), website=b.get("__website"),
                                        bucket_region=b.get("BucketRegion"), **settings_columns(b.get("__settings")))
                           for b in buckets]}


def collect(ctx: Ctx) -> Rows:
    return transform(get_buckets(ctx), ctx)


COLLECTOR = Collector("s3", collect, ("s3_buckets",),
                      # HeadBucket: botocore's S3 region redirector sends it on the calling client when a
                      # wrong-region answer names no region (botocore.utils.S3RegionRedirectorv2)
                      operations("s3", "ListBuckets", "GetBucketLocation", "GetBucketWebsite", "GetBucketTagging",
                                 "HeadBucket", "GetBucketVersioning", "GetBucketEncryption", "GetPublicAccessBlock"),
                      bulk_tags=("s3",))
