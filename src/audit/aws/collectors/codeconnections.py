"""CodeConnections: the connections pipeline sources use, with each one's provider (GitHub, Bitbucket,
GitLab, a self-managed host).

A CodeStarSourceConnection source names only its `ConnectionArn`; which provider is behind it is
known from ListConnections (https://docs.aws.amazon.com/codeconnections/latest/APIReference/API_ListConnections.html:
ConnectionName, ConnectionArn, ProviderType, OwnerAccountId, ConnectionStatus, HostArn). The service
was renamed from CodeStar Connections in 2024: the `codeconnections` API lists connections of both
ARN prefixes (`arn:aws:codestar-connections:...` for older ones, `arn:aws:codeconnections:...`), and
an IAM action must name the prefix of its resource
(https://docs.aws.amazon.com/dtconsole/latest/userguide/rename.html), so each connection's tags are
read through the API of its own prefix. botocore has no paginator for ListConnections: it is paged
by NextToken here, at the model's largest MaxResults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, resource_row
from audit.aws.limits import input_max

SERVICE = "codeconnections"
LEGACY = "codestar-connections"  # the ARN prefix (and API) of connections made before the rename


def list_connections(ctx: Ctx) -> list[dict[str, Any]]:
    """Every connection of the region, paged by NextToken. Raises on failure."""
    client = ctx.client(SERVICE)
    size = input_max(SERVICE, "ListConnections", "MaxResults")
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = client.list_connections(MaxResults=size, **({"NextToken": token} if token else {}))
        out.extend(dict(c) for c in page.get("Connections", []) or [])
        token = page.get("NextToken")
        if not token:
            return out


def service_of(arn: str) -> str:
    """The API whose IAM prefix matches a connection ARN: codestar-connections or codeconnections."""
    prefix = arn.split(":")[2] if arn.count(":") >= 5 else ""
    return LEGACY if prefix == LEGACY else SERVICE


def get_connections(ctx: Ctx) -> list[dict[str, Any]]:
    connections = list_connections(ctx)
    for c in connections:
        arn = c["ConnectionArn"]
        c["__tags"] = ctx.soft("ListTagsForResource", lambda a=arn: ctx.client(service_of(a)).list_tags_for_resource(
            ResourceArn=a).get("Tags", []), default=[], quiet=("not-found",))
    return connections


def transform(connections: list[Mapping[str, Any]], ctx: Ctx) -> Rows:
    """ListConnections items -> connections rows (pure)."""
    return {"connections": [resource_row(ctx, c["ConnectionArn"], c.get("ConnectionName", ""), c.get("__tags"),
                                         provider_type=c.get("ProviderType"), status=c.get("ConnectionStatus"),
                                         owner_account_id=c.get("OwnerAccountId"), host_arn=c.get("HostArn"))
                            for c in connections]}


def collect(ctx: Ctx) -> Rows:
    return transform(get_connections(ctx), ctx)


COLLECTOR = Collector("codeconnections", collect, ("connections",),
                      operations(SERVICE, "ListConnections", "ListTagsForResource")
                      + operations(LEGACY, "ListTagsForResource"))
