"""GovCloud and China: the partition follows the configured regions (botocore's partition data), and
so do every ARN the crawler builds and the home region of its global calls."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit.aws.collectors import s3
from audit.aws.collectors.base import Ctx
from audit.aws.collectors.simple import HTTP_APIS, REST_APIS
from audit.aws.crawler import crawl
from audit.aws.partitions import crawl_partition, partition_of
from audit.aws.session import AwsContext, AwsSettings, Target
from audit.config import AccountsConfig
from audit.errors import ConfigError
from audit.options import CrawlOptions
from audit.store.snapshots import open_snapshot


@pytest.mark.parametrize(("regions", "partition", "home"), [
    (["us-gov-west-1", "us-gov-east-1"], "aws-us-gov", "us-gov-west-1"),
    (["cn-northwest-1"], "aws-cn", "cn-north-1"),
    (["eu-west-1", "ap-southeast-2"], "aws", "us-east-1"),
    ([], "aws", "us-east-1"),  # `regions: all` everywhere: the commercial partition
])
def test_partition_and_home_region_follow_the_regions(regions, partition, home) -> None:
    assert crawl_partition(regions) == (partition, home)
    assert all(partition_of(r) == partition for r in regions)


def test_regions_of_two_partitions_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="aws-us-gov: us-gov-west-1") as err:
        crawl_partition(["eu-west-1", "us-gov-west-1"])
    assert err.value.exit_code == 2


@pytest.mark.parametrize(("partition", "region"), [("aws-us-gov", "us-gov-west-1"), ("aws-cn", "cn-north-1")])
def test_arns_built_by_the_collectors_carry_the_partition(partition, region) -> None:
    """API Gateway ARNs have no account id
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html), S3 ARNs
    neither region nor account (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html)."""
    ctx = Ctx("111122223333", "c", region, "apigateway", lambda s, r=None: None, datetime.now(UTC),
              partition=partition)
    assert REST_APIS.arn({"id": "a1b2c3"}, ctx) == f"arn:{partition}:apigateway:{region}::/restapis/a1b2c3"
    assert HTTP_APIS.arn({"ApiId": "x9"}, ctx) == f"arn:{partition}:apigateway:{region}::/apis/x9"
    ctx.region = "global"
    (row,) = s3.transform([{"Name": "logs", "BucketRegion": region}], ctx)["s3_buckets"]
    assert row["arn"] == f"arn:{partition}:s3:::logs"


def test_global_calls_and_sts_go_to_the_partitions_home_region(monkeypatch) -> None:
    """No endpoint override: the clients resolve AWS's own endpoints (nothing is sent). STS is regional
    even when the user's config asks for the legacy global endpoint."""
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")
    gov = AwsContext(AwsSettings(partition="aws-us-gov", home_region="us-gov-west-1"), day="2026-01-01")
    assert gov.base_client("sts").meta.endpoint_url == "https://sts.us-gov-west-1.amazonaws.com"
    target = Target("111122223333", "c", "arn:aws-us-gov:iam::111122223333:role/Audit")
    assert gov.client(target, "global", "iam").meta.endpoint_url == "https://iam.us-gov.amazonaws.com"
    commercial = AwsContext(AwsSettings(), day="2026-01-01")
    assert commercial.base_client("sts").meta.endpoint_url == "https://sts.us-east-1.amazonaws.com"
    cn = AwsContext(AwsSettings(partition="aws-cn", home_region="cn-north-1"), day="2026-01-01")
    assert cn.base_client("sts").meta.endpoint_url == "https://sts.cn-north-1.amazonaws.com.cn"


def test_a_govcloud_crawl_assumes_govcloud_roles_and_builds_govcloud_arns(account, moto_url, tmp_path: Path) -> None:
    account.boto("apigateway", "us-gov-west-1").create_rest_api(name="orders")
    account.boto("s3", "us-gov-west-1").create_bucket(
        Bucket=f"gov-{account.account_id}", CreateBucketConfiguration={"LocationConstraint": "us-gov-west-1"})
    config = AccountsConfig.model_validate({
        "endpoint_url": moto_url, "defaults": {"regions": ["us-gov-west-1"], "external_id": "ext"},
        "clients": [{"name": "gov", "account_id": account.account_id}]})
    result = crawl(config, tmp_path, CrawlOptions(day="2026-01-03", services=("apigateway", "s3"), progress=False))
    snap = open_snapshot(result.snapshot_dir)
    (acct,) = snap.table("accounts").to_dict("records")
    assert acct["role_arn"] == f"arn:aws-us-gov:iam::{account.account_id}:role/CicdAuditReadOnly"
    (api,) = snap.table("apigateway_apis").to_dict("records")
    assert api["arn"].startswith("arn:aws-us-gov:apigateway:us-gov-west-1::/restapis/")
    buckets = snap.table("s3_buckets")
    assert f"arn:aws-us-gov:s3:::gov-{account.account_id}" in set(buckets["arn"])
