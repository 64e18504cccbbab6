"""ECR: repositories with scan-on-push, tag mutability and image count; the registry's scanning.

- `image_count` counts distinct image digests: ListImages lists one identifier per tag (an image
  tagged `1.0` and `latest` is one image, two identifiers), untagged images once.
- Scan-on-push is a registry setting now (GetRegistryScanningConfiguration, once per region that
  has repositories; the repository's `imageScanningConfiguration` is deprecated): a rule whose
  filter matches the repository decides it; where the registry has no rule (or could not be read)
  the repository's own setting is used. `scan_on_push_source` says which one answered,
  `registry_scan_type` what the registry does (BASIC | ENHANCED).
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, pages, resource_row

# scan frequencies that scan an image when it is pushed (basic: SCAN_ON_PUSH; enhanced: both)
# https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RegistryScanningRule.html
PUSH_SCANS = {"SCAN_ON_PUSH", "CONTINUOUS_SCAN"}


def get_registry(ctx: Ctx) -> dict[str, Any] | None:
    """The region's registry scanning configuration, or None when it cannot be read (an errors row)."""
    ecr = ctx.client("ecr")
    return ctx.soft("GetRegistryScanningConfiguration",
                    lambda: ecr.get_registry_scanning_configuration().get("scanningConfiguration") or {})


def get_repositories(ctx: Ctx) -> list[dict[str, Any]]:
    ecr = ctx.client("ecr")
    repos = [dict(r) for r in pages(ecr, "describe_repositories", "repositories")]
    for repo in repos:
        name, arn = repo["repositoryName"], repo["repositoryArn"]
        repo["__digests"] = ctx.soft("ListImages", lambda n=name: sorted({
            i["imageDigest"] for i in pages(ecr, "list_images", "imageIds", repositoryName=n) if i.get("imageDigest")}))
        repo["__tags"] = ctx.tags_for(arn, "ListTagsForResource", lambda a=arn: ecr.list_tags_for_resource(
            resourceArn=a).get("tags"))
    return repos


def registry_scan_on_push(registry: Mapping[str, Any] | None, repository: str) -> bool | None:
    """True/False when a registry rule's filter matches the repository (wildcard `*` filters,
    https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ScanningRepositoryFilter.html),
    None when no rule does (the repository's own setting then applies)."""
    matched = [rule.get("scanFrequency") for rule in (registry or {}).get("rules") or []
               if any(fnmatchcase(repository, f.get("filter", "")) for f in rule.get("repositoryFilters") or [])]
    return None if not matched else any(freq in PUSH_SCANS for freq in matched)


def scan_on_push(registry: Mapping[str, Any] | None, repo: Mapping[str, Any]) -> tuple[bool, str]:
    """(scan on push, 'registry' | 'repository'): the registry's rule wins where one matches."""
    decided = registry_scan_on_push(registry, repo["repositoryName"])
    if decided is not None:
        return decided, "registry"
    return bool((repo.get("imageScanningConfiguration") or {}).get("scanOnPush")), "repository"


def transform(raw: Mapping[str, Any], ctx: Ctx) -> Rows:
    registry = raw["registry"]
    rows = []
    for r in raw["repositories"]:
        on_push, source = scan_on_push(registry, r)
        digests = r.get("__digests")
        rows.append(resource_row(
            ctx, r["repositoryArn"], r["repositoryName"], r.get("__tags"),
            scan_on_push=on_push, scan_on_push_source=source,
            registry_scan_type=(registry or {}).get("scanType"), tag_mutability=r.get("imageTagMutability"),
            image_count=None if digests is None else len(digests),
            encryption_type=(r.get("encryptionConfiguration") or {}).get("encryptionType"),
        ))
    return {"ecr_repositories": rows}


def collect(ctx: Ctx) -> Rows:
    repositories = get_repositories(ctx)
    # the registry's rules only decide repositories' rows: a region without any is not asked
    return transform({"registry": get_registry(ctx) if repositories else None, "repositories": repositories}, ctx)


COLLECTOR = Collector("ecr", collect, ("ecr_repositories",),
                      operations("ecr", "GetRegistryScanningConfiguration", "DescribeRepositories", "ListImages",
                                 "ListTagsForResource"), bulk_tags=("ecr",))
