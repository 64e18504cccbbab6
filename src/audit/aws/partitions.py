"""AWS partitions (aws, aws-cn, aws-us-gov, ...): which one a crawl is in, and its home region.

Base credentials live in one partition, so a crawl does too: it follows from the configured regions
(botocore's partition data, never a hard-coded `arn:aws:`). The home region is where the crawl makes
its global calls (IAM, S3 listing, CloudFront, STS, Organizations): the region of the partition's
global IAM endpoint in botocore's endpoint data (us-east-1, cn-north-1, us-gov-west-1, ...), else
the first configured region of the partition.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import botocore.session
from botocore.exceptions import UnknownRegionError

from audit.aws.botodata import model_session
from audit.errors import ConfigError

DEFAULT_PARTITION = "aws"


@cache
def _session() -> botocore.session.Session:
    return model_session()


def partition_of(region: str) -> str:
    """The partition of a region name (botocore's region patterns: cn-* is aws-cn, us-gov-* aws-us-gov)."""
    try:
        return _session().get_partition_for_region(region)
    except UnknownRegionError:
        return DEFAULT_PARTITION


@cache
def global_region(partition: str) -> str | None:
    """The region of the partition's global IAM endpoint (its credential scope), if it has one."""
    for data in _session().get_data("endpoints")["partitions"]:
        if data["partition"] == partition:
            iam = data["services"].get("iam", {})
            endpoint = iam.get("endpoints", {}).get(iam.get("partitionEndpoint", ""), {})
            return endpoint.get("credentialScope", {}).get("region")
    return None


def crawl_partition(regions: Iterable[str]) -> tuple[str, str]:
    """(partition, home region) for the configured regions; ConfigError when they span partitions
    (one set of base credentials cannot reach two partitions)."""
    regions = list(dict.fromkeys(regions))
    by_partition: dict[str, list[str]] = {}
    for region in regions:
        by_partition.setdefault(partition_of(region), []).append(region)
    if len(by_partition) > 1:
        listed = "; ".join(f"{p}: {', '.join(rs)}" for p, rs in sorted(by_partition.items()))
        raise ConfigError(f"the configured regions span AWS partitions ({listed}); crawl each partition "
                          "separately, with base credentials of that partition", field="regions")
    partition = next(iter(by_partition), DEFAULT_PARTITION)
    home = global_region(partition) or (by_partition.get(partition) or ["us-east-1"])[0]
    return partition, home
