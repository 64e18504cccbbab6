"""Tags in bulk: one Resource Groups Tagging API pass per (account, region) instead of one tag call
per resource.

`GetResources` returns the tags of every tagged (or previously tagged) resource of a region, up to
100 per page (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html,
ResourcesPerPage "Valid Range: Minimum value of 1. Maximum value of 100"). The crawler reads it once
per region for the resource types its collectors declare (`Collector.bulk_tags`) and hands the
result to every collector of the account as a `TagIndex` (audit.aws.collectors.base.Ctx.tags_for).
A resource the pass does not list has no tags. When the pass fails in a region (tag:GetResources
denied, throttled, not implemented) that region is absent from the index: its error row says so,
and the collectors fall back to their per-resource tag calls there; a failed fallback costs only
that resource's tags. S3 buckets are listed by the tagging API of the bucket's own region.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.aws.limits import Operation, page_size

SERVICE = "resourcegroupstaggingapi"
OPERATION: Operation = (SERVICE, "GetResources")


@dataclass(frozen=True)
class TagIndex:
    """Tags by ARN for the regions whose GetResources pass completed (as AWS gave them: {key: value}).

    Plain data, so any Executor can ship it to a task."""

    regions: frozenset[str] = frozenset()
    tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def covers(self, region: str | None) -> bool:
        return region is not None and region in self.regions

    def get(self, arn: str) -> dict[str, str]:
        return dict(self.tags.get(arn) or {})

    @classmethod
    def merge(cls, parts: Iterable[tuple[str, Mapping[str, Mapping[str, str]] | None]]) -> TagIndex:
        """One index from (region, tags-or-None-when-the-pass-failed) pairs."""
        regions, tags = set(), {}
        for region, found in parts:
            if found is not None:
                regions.add(region)
                tags.update(found)
        return cls(frozenset(regions), tags)


def read_region_tags(client: Any, resource_types: Iterable[str]) -> dict[str, dict[str, str]]:
    """Every listed resource's tags in this client's region, for the given ResourceTypeFilters
    (`service` or `service:type`). Raises on failure: a half-read pass is no index."""
    out: dict[str, dict[str, str]] = {}
    pages = client.get_paginator("get_resources").paginate(
        ResourceTypeFilters=sorted(set(resource_types)), PaginationConfig={"PageSize": page_size(*OPERATION)})
    for page in pages:
        for item in page.get("ResourceTagMappingList", []) or []:
            out[item["ResourceARN"]] = {t["Key"]: t.get("Value", "") for t in item.get("Tags", []) or []}
    return out
