"""Tags in bulk: one GetResources pass per region gives every collector its tags; when the pass is
denied the collectors read tags per resource, with the same rows and tags, and the denial is one
errors row per region."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from audit.aws.collectors import REGISTRY
from audit.aws.crawler import crawl
from audit.aws.guard import recording_calls
from audit.aws.tagging import TagIndex, read_region_tags
from audit.config import AccountsConfig, load_accounts
from audit.demo import moto_patches
from audit.options import CrawlOptions
from audit.store.snapshots import open_snapshot

# The per-resource tag reads the tag index replaces (each stays declared as the fallback).
TAG_CALLS = {
    ("lambda", "ListTags"), ("cloudwatch", "ListTagsForResource"), ("codepipeline", "ListTagsForResource"),
    ("codedeploy", "ListTagsForResource"), ("ecr", "ListTagsForResource"), ("s3", "GetBucketTagging"),
    ("elasticbeanstalk", "ListTagsForResource"), ("cloudfront", "ListTagsForResource"),
    ("codecommit", "ListTagsForResource"),
}


def home_regions(fleet: Any) -> AccountsConfig:
    """Every crawlable fleet client (all four teams), in its home region only."""
    config = load_accounts(fleet.accounts_file)
    home = {c.account_id: c.home_region for c in fleet.model.clients}
    picked = [c.model_copy(update={"regions": [home[c.account_id]]}) for c in config.clients
              if c.account_id not in fleet.faults["assume_role_denied"]]
    return config.model_copy(update={"clients": picked})


def tagged_rows(snapshot_dir: Path) -> dict[tuple[str, str], dict[str, str]]:
    """(table, arn) -> tags, for every crawl table with a tags column."""
    snap = open_snapshot(snapshot_dir)
    out = {}
    for table in {t for c in REGISTRY.values() for t in c.tables}:
        df = snap.table(table)
        if "tags" in df.columns and "arn" in df.columns:
            out.update({(table, r.arn): json.loads(r.tags) for r in df.itertuples()})
    return out


@pytest.fixture(scope="module")
def bulk_and_denied(fleet: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    config = home_regions(fleet)
    out = tmp_path_factory.mktemp("tagging")
    options = CrawlOptions(endpoint_url=fleet.endpoint_url, progress=False, day="2026-03-01")
    bulk = crawl(config, out / "bulk", options)
    with fleet.inject("deny=resourcegroupstaggingapi:GetResources"):
        denied = crawl(config, out / "denied", options)
    return bulk, denied


def test_collectors_take_tags_from_one_pass_per_region(bulk_and_denied) -> None:
    bulk, _ = bulk_and_denied
    manifest = open_snapshot(bulk.snapshot_dir).manifest["sections"]["crawl"]
    called = {tuple(op.split(":")) for ops in manifest["operations"].values() for op in ops}
    # CloudFront's tags are listed in us-east-1, which these home-region crawls do not all read
    assert called & TAG_CALLS <= {("cloudfront", "ListTagsForResource")}, sorted(called & TAG_CALLS)
    tags = tagged_rows(bulk.snapshot_dir)
    # the tables whose tags used to take a call per resource have them
    tagged = {table for (table, _), t in tags.items() if t.get("client")}
    assert {"pipelines", "lambda_functions", "cloudwatch_alarms", "s3_buckets", "ecr_repositories"} <= tagged


def test_a_denied_pass_falls_back_to_per_resource_calls_with_the_same_tags(bulk_and_denied) -> None:
    bulk, denied = bulk_and_denied
    assert tagged_rows(denied.snapshot_dir) == tagged_rows(bulk.snapshot_dir)
    snap = open_snapshot(denied.snapshot_dir)
    called = {tuple(op.split(":")) for ops in snap.manifest["sections"]["crawl"]["operations"].values()
              for op in ops}
    assert {("lambda", "ListTags"), ("codepipeline", "ListTagsForResource"), ("s3", "GetBucketTagging"),
            ("cloudwatch", "ListTagsForResource"), ("ecr", "ListTagsForResource")} <= called
    errors = snap.table("errors")
    rows = errors[errors["operation"] == "GetResources"]
    assert set(rows["collector"]) == {"tags"} and set(rows["error_class"]) == {"access-denied"}
    regions = {(a, r) for a, r in snap.table("accounts")[["account_id", "regions"]].itertuples(index=False)
               for r in r}
    assert sorted(map(tuple, rows[["account_id", "region"]].values.tolist())) == sorted(regions)
    assert denied.calls > bulk.calls


def test_the_index_serves_only_the_regions_it_read(account) -> None:
    """S3 is global: a bucket in a region the pass read takes its tags from the index, a bucket
    elsewhere is read with GetBucketTagging."""
    for region in ("eu-west-1", "us-west-2"):
        s3 = account.boto("s3", region)
        s3.create_bucket(Bucket=f"b-{account.account_id}-{region}",
                         CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_bucket_tagging(Bucket=f"b-{account.account_id}-{region}",
                              Tagging={"TagSet": [{"Key": "team", "Value": region}, {"Key": "password", "Value": "x"}]})
    ctx = account.ctx("s3", "global")
    with account.aws.acting_as(account.target):
        tags = read_region_tags(account.aws.client(account.target, "eu-west-1", "resourcegroupstaggingapi"), ["s3"])
    ctx.tag_index = TagIndex.merge([("eu-west-1", tags)])
    with account.aws.acting_as(account.target), recording_calls() as called:
        rows = REGISTRY["s3"].collect(ctx)["s3_buckets"]
    assert ("s3", "GetBucketTagging") in called and ctx.errors == []
    by_name = {r["name"]: json.loads(r["tags"]) for r in rows}
    assert by_name == {f"b-{account.account_id}-{r}": {"team": r, "password": "<masked>"}
                       for r in ("eu-west-1", "us-west-2")}


def test_index_merge_keeps_only_completed_regions() -> None:
    index = TagIndex.merge([("eu-west-1", {"arn:a": {"k": "v"}}), ("us-east-1", None)])
    assert index.covers("eu-west-1") and not index.covers("us-east-1") and not index.covers(None)
    assert index.get("arn:a") == {"k": "v"} and index.get("arn:untagged") == {}


def test_outside_the_fleet_get_resources_is_plain_moto(account) -> None:
    """The GetResources patch (audit.demo.moto_patches) answers for fleet accounts only."""
    role = account.boto("iam").create_role(RoleName="p", AssumeRolePolicyDocument=json.dumps({"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    action = {"actionTypeId": {"owner": "AWS", "version": "1"}}
    account.boto("codepipeline").create_pipeline(pipeline={
        "name": "plain", "roleArn": role["Role"]["Arn"], "artifactStore": {"type": "S3", "location": "bucket"},
        "stages": [{"name": "Source", "actions": [{**action, "name": "s", "actionTypeId": {
            **action["actionTypeId"], "category": "Source", "provider": "S3"},
            "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"}, "outputArtifacts": [{"name": "o"}]}]},
                   {"name": "Build", "actions": [{**action, "name": "b", "actionTypeId": {
                       **action["actionTypeId"], "category": "Build", "provider": "CodeBuild"},
                       "configuration": {"ProjectName": "p"}, "inputArtifacts": [{"name": "o"}]}]}]},
        tags=[{"key": "team", "value": "x"}])
    moto_patches.install()
    listed = account.boto("resourcegroupstaggingapi").get_resources(ResourceTypeFilters=["codepipeline"])
    assert listed["ResourceTagMappingList"] == []


@pytest.mark.parametrize("fleet_region", [True, False])
def test_pages_are_cut_at_resources_per_page_only(account, fleet_region: bool) -> None:
    """GetResources without TagsPerPage cuts pages at ResourcesPerPage ("AWS recommends using
    ResourcesPerPage instead of this parameter": API_GetResources.html); moto also cuts them at 100
    tags, which in fleet account regions (audit.demo.moto_patches) it does not: 30 topics with 5
    tags each are one page of a pass, as in AWS. With TagsPerPage the tag limit holds everywhere."""
    from audit.demo.backend_fixes import codecommit_listing

    moto_patches.install()
    if fleet_region:
        codecommit_listing(account.account_id, ["eu-west-1"])
    sns = account.boto("sns")
    for n in range(30):
        sns.create_topic(Name=f"t{n}", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(5)])
    tagging = account.boto("resourcegroupstaggingapi")
    pages = list(tagging.get_paginator("get_resources").paginate(PaginationConfig={"PageSize": 100}))
    assert sum(len(p["ResourceTagMappingList"]) for p in pages) == 30
    assert len(pages) == (1 if fleet_region else 2)  # moto: 19 topics (95 tags), then 11
    limited = tagging.get_resources(ResourcesPerPage=100, TagsPerPage=100)["ResourceTagMappingList"]
    assert len(limited) < 30 and sum(len(r["Tags"]) for r in limited) <= 100
    assert read_region_tags(tagging, ["sns"]).keys() == {
        r["ResourceARN"] for p in pages for r in p["ResourceTagMappingList"]}


@pytest.mark.parametrize("fleet_region", [True, False])
def test_a_bucket_is_listed_only_by_its_own_region(account, fleet_region: bool) -> None:
    """GetResources "returns all the tagged or previously tagged resources that are located in the
    specified Region" (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html):
    a bucket in us-west-2 is not in eu-west-1's pass. moto's S3 backend is global and lists every
    bucket in every region; in fleet account regions (audit.demo.moto_patches) it answers as AWS."""
    from audit.demo.backend_fixes import codecommit_listing

    moto_patches.install()
    regions = ("eu-west-1", "us-west-2")
    if fleet_region:
        codecommit_listing(account.account_id, list(regions))
    for region in regions:
        name = f"b-{account.account_id}-{region}"
        s3 = account.boto("s3", region)
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "team", "Value": region}]})
    listed = {region: sorted(read_region_tags(account.boto("resourcegroupstaggingapi", region), ["s3"]))
              for region in regions}
    everywhere = [f"arn:aws:s3:::b-{account.account_id}-{r}" for r in regions]
    assert listed == ({r: [f"arn:aws:s3:::b-{account.account_id}-{r}"] for r in regions} if fleet_region
                      else {r: everywhere for r in regions})
