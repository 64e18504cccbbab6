"""CodeCommit: repositories with their clone URLs (what `scan` clones for repos.yaml `discover.codecommit`).

ListRepositories pages names and ids; GetRepository gives the metadata (ARN, clone URLs, default
branch). The free-text description is not kept. An endpoint without ListRepositories (moto answers
it only for fleet repositories) is an `errors` row, never an empty table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import ResourceSpec, spec_collector


def columns(raw: Mapping[str, Any]) -> dict[str, Any]:
    """GetRepository's repositoryMetadata -> the table's own columns (pure)."""
    return {"repository_id": raw.get("repositoryId"), "default_branch": raw.get("defaultBranch"),
            "clone_url_http": raw.get("cloneUrlHttp"), "clone_url_ssh": raw.get("cloneUrlSsh"),
            "last_modified": raw.get("lastModifiedDate")}


REPOSITORIES = ResourceSpec(
    table="codecommit_repositories", service="codecommit", list_op="list_repositories",
    result_key="repositories", name_key="repositoryName", arn=lambda raw, ctx: raw["Arn"], columns=columns,
    detail_op="get_repository", detail_param="repositoryName", detail_key="repositoryMetadata",
    tags_op="list_tags_for_resource", tags_param="resourceArn", tags_key="tags", bulk_tags="codecommit")

COLLECTOR = spec_collector("codecommit", REPOSITORIES)
