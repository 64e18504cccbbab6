from __future__ import annotations

import json
from collections import Counter

import pytest
from tests.aws.collectors.helpers import collect_counting

from audit.aws.collectors import s3 as s3_collector
from audit.aws.guard import recording_calls
from audit.demo import backend_fixes, moto_patches


def test_buckets_with_website_and_tags(account) -> None:
    s3 = account.boto("s3", "eu-west-1")
    site, plain = f"site-{account.account_id}", f"plain-{account.account_id}"
    for name in (site, plain):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_website(Bucket=site, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_bucket_tagging(Bucket=site, Tagging={"TagSet": [{"Key": "team", "Value": "web"}]})
    rows, errors = account.collect("s3", "global")
    assert errors == []  # no website / no tags is an answer, not an error
    buckets = {b["name"]: b for b in rows["s3_buckets"]}
    assert set(buckets) == {site, plain}
    assert buckets[site]["website"] is True and buckets[plain]["website"] is False
    assert json.loads(buckets[site]["tags"]) == {"team": "web"} and buckets[plain]["tags"] == "{}"
    assert buckets[site]["bucket_region"] == "eu-west-1" and buckets[site]["region"] == "global"
    assert buckets[site]["arn"] == f"arn:aws:s3:::{site}"


def test_location_constraint_null_is_us_east_1_and_legacy_eu_is_eu_west_1(account) -> None:
    """GetBucketLocation answers null for us-east-1 and the legacy `EU` for eu-west-1
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html); moto stores both.
    moto's ListBuckets gives no BucketRegion, so the collector asks GetBucketLocation here."""
    s3 = account.boto("s3", "us-east-1")
    virginia, legacy = f"va-{account.account_id}", f"eu-{account.account_id}"
    s3.create_bucket(Bucket=virginia)
    s3.create_bucket(Bucket=legacy, CreateBucketConfiguration={"LocationConstraint": "EU"})
    assert s3.get_bucket_location(Bucket=legacy)["LocationConstraint"] == "EU"
    assert s3.get_bucket_location(Bucket=virginia)["LocationConstraint"] is None
    with recording_calls() as called:
        rows, errors = account.collect("s3", "global")
    assert errors == [] and ("s3", "GetBucketLocation") in called
    assert {b["name"]: b["bucket_region"] for b in rows["s3_buckets"]} == {virginia: "us-east-1",
                                                                          legacy: "eu-west-1"}


@pytest.fixture
def fleet_like_buckets(account) -> dict[str, str]:
    """Buckets in three regions of an account whose S3 answers like AWS (moto_patches: ListBuckets
    pages with ContinuationToken and gives BucketRegion; other regions get a 301 redirect)."""
    moto_patches.install()
    where = {f"a-{account.account_id}": "us-east-1", f"b-{account.account_id}": "eu-west-1",
             f"c-{account.account_id}": "ap-southeast-2"}
    for name, region in where.items():
        s3 = account.boto("s3", region)
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **extra)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "region", "Value": region}]})
        backend_fixes.s3_bucket(account.account_id, name)
    return where


def test_list_buckets_pages_and_bucket_region_spares_get_bucket_location(account, fleet_like_buckets,
                                                                          monkeypatch) -> None:
    """ListBuckets with MaxBuckets pages by ContinuationToken and returns BucketRegion
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html): with pages of 2, all 3
    buckets are read, GetBucketLocation is never called, and each bucket's website and tags calls go
    to a client of its own region (no redirect, so no HeadBucket and no error)."""
    monkeypatch.setattr(s3_collector, "MAX_BUCKETS", 2)
    with recording_calls() as called:
        rows, errors = account.collect("s3", "global")
    assert errors == []
    got = {b["name"]: (b["bucket_region"], json.loads(b["tags"])["region"]) for b in rows["s3_buckets"]}
    assert got == {name: (region, region) for name, region in fleet_like_buckets.items()}
    assert ("s3", "GetBucketLocation") not in called and ("s3", "HeadBucket") not in called


def test_wrong_region_redirect_sends_head_bucket_through_the_guard(account, fleet_like_buckets) -> None:
    """Where a bucket's region is unknown, its calls go to the home-region client; real S3 answers
    301 PermanentRedirect naming no region, botocore's S3RegionRedirector sends HeadBucket on the same
    (guarded) client and retries in the bucket's region. Over HTTP against the moto patch, the call
    succeeds: the guard allows the redirector's HeadBucket."""
    name = next(n for n, r in fleet_like_buckets.items() if r == "ap-southeast-2")
    home = account.aws.client(account.target, "global", "s3")  # us-east-1
    account.aws.assume(account.target)
    with account.aws.acting_as(account.target), recording_calls() as called:
        tags = home.get_bucket_tagging(Bucket=name)["TagSet"]
    assert tags == [{"Key": "region", "Value": "ap-southeast-2"}]
    assert called == {("s3", "GetBucketTagging"), ("s3", "HeadBucket")}


SETTINGS_CALLS = ("GetBucketVersioning", "GetBucketEncryption", "GetPublicAccessBlock")


def _collect_counting(account) -> tuple[dict, list, Counter]:
    """Collect s3 while counting calls per operation on every client the collector builds."""
    ctx = account.ctx("s3", "global")
    rows, calls = collect_counting(ctx, "s3")
    return rows, ctx.errors, calls


def test_only_delivery_buckets_get_their_settings_read(account) -> None:
    """Three delivery buckets (by name: audit.names.BUCKET_PURPOSES) get versioning, encryption and
    public access block read, one call each; a website bucket and a bucket of no known purpose cost no
    settings call and read settings_read false with null settings.

    moto keeps a bucket without default encryption (GetBucketEncryption answers
    ServerSideEncryptionConfigurationNotFoundError, read as 'none'); real AWS has encrypted every
    bucket with SSE-S3 since 2023-01-05 and answers AES256 there
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html). A bucket
    without a public access block (NoSuchPublicAccessBlockConfiguration) or with one flag off reads
    false; a bucket whose versioning was never enabled has no Status, read as 'Disabled'."""
    s3, acct = account.boto("s3", "eu-west-1"), account.account_id
    where = {"CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}}
    artifacts, cdk, state = f"acme-cicd-artifacts-{acct}", f"cdk-hnb659fds-assets-{acct}-eu-west-1", f"acme-tfstate-{acct}"
    site, lake = f"acme-www-{acct}", f"acme-data-lake-{acct}"
    for name in (artifacts, cdk, state, site, lake):
        s3.create_bucket(Bucket=name, **where)
    s3.put_bucket_versioning(Bucket=artifacts, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=artifacts, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]})
    full = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    s3.put_public_access_block(Bucket=artifacts, PublicAccessBlockConfiguration=full)
    s3.put_bucket_versioning(Bucket=cdk, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_versioning(Bucket=cdk, VersioningConfiguration={"Status": "Suspended"})
    s3.put_bucket_encryption(Bucket=cdk, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_public_access_block(Bucket=cdk, PublicAccessBlockConfiguration={**full, "RestrictPublicBuckets": False})
    s3.put_public_access_block(Bucket=site, PublicAccessBlockConfiguration=full)  # set, but not read
    rows, errors, calls = _collect_counting(account)
    assert errors == []
    assert {op: calls[op] for op in SETTINGS_CALLS} == dict.fromkeys(SETTINGS_CALLS, 3)
    cols = ("settings_read", "versioning", "encryption", "bucket_key_enabled", "public_access_blocked")
    got = {b["name"]: tuple(b[c] for c in cols) for b in rows["s3_buckets"]}
    assert got == {artifacts: (True, "Enabled", "aws:kms", True, True),
                   cdk: (True, "Suspended", "AES256", False, False),
                   state: (True, "Disabled", "none", False, False),
                   site: (False, None, None, None, None), lake: (False, None, None, None, None)}


def test_settings_from_the_documented_answer_shapes() -> None:
    """The pure reductions on the shapes the S3 API reference documents: GetBucketVersioning
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html: no Status when never
    enabled), GetBucketEncryption (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html:
    the first rule decides; DSSE-KMS is aws:kms:dsse) and GetPublicAccessBlock
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetPublicAccessBlock.html); None (the call
    failed) stays unknown, never 'off'."""
    assert s3_collector.versioning({}) == "Disabled" and s3_collector.versioning({"Status": "Suspended"}) == "Suspended"
    assert s3_collector.versioning(None) is None
    rules = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse",
                                                               "KMSMasterKeyID": "arn:aws:kms:eu-west-1:1:key/k"},
                        "BucketKeyEnabled": False},
                       {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    assert s3_collector.encryption(rules) == ("aws:kms:dsse", False)
    assert s3_collector.encryption({"Rules": []}) == ("none", False) and s3_collector.encryption(None) == (None, None)
    flags = dict.fromkeys(s3_collector.PUBLIC_ACCESS_FLAGS, True)
    assert s3_collector.public_access_blocked(flags) is True
    assert s3_collector.public_access_blocked({**flags, "IgnorePublicAcls": False}) is False
    assert s3_collector.public_access_blocked({}) is False and s3_collector.public_access_blocked(None) is None
    assert s3_collector.settings_columns(None) == {
        "settings_read": False, "versioning": None, "encryption": None, "bucket_key_enabled": None,
        "public_access_blocked": None}
