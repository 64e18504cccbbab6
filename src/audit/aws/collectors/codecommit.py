"""CodeCommit: repositories with their clone URLs (what `scan` clones for repos.yaml `discover.codecommit`).

ListRepositories pages names and ids; BatchGetRepositories gives the metadata (ARN, clone URLs,
default branch) of up to 100 at a time (MaximumRepositoryNamesExceededException above that:
https://docs.aws.amazon.com/codecommit/latest/APIReference/API_BatchGetRepositories.html); a
repository deleted between the two calls is in `repositoriesNotFound` and has no row. The free-text
description is not kept. An endpoint without ListRepositories (moto answers
it only for fleet repositories) is an `errors` row, never an empty table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import ResourceSpec, spec_collector


def columns(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One RepositoryMetadata of BatchGetRepositories -> the table's own columns (pure)."""
    return {"repository_id": raw.get("repositoryId"), "default_branch": raw.get("defaultBranch"),
            "clone_url_http": raw.get("cloneUrlHttp"), "clone_url_ssh": raw.get("cloneUrlSsh"),
            "last_modified": raw.get("lastModifiedDate")}


REPOSITORIES = ResourceSpec(
    table="codecommit_repositories", service="codecommit", list_op="list_repositories",
    result_key="repositories", name_key="repositoryName", arn=lambda raw, ctx: raw["Arn"], columns=columns,
    detail_op="batch_get_repositories", detail_param="repositoryNames", detail_key="repositories", batch=100,
    tags_op="list_tags_for_resource", tags_param="resourceArn", tags_key="tags", bulk_tags="codecommit")

COLLECTOR = spec_collector("codecommit", REPOSITORIES)
