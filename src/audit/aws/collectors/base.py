"""What every collector shares: the task context, the Collector record, small pure helpers, and
the generic engine that runs declarative `ResourceSpec`s (cloud-custodian's shape).

A collector never loops over accounts or regions and never builds sessions: the crawler hands it a
`Ctx` for one (account, region). *get* functions only page the API and raise; *transform*
functions are pure (raw dicts -> rows) and drop secret values. Tags come from the account's tag
index (one GetResources pass per region, audit.aws.tagging) through `ctx.tags_for`; a collector
declares the resource types it reads there (`Collector.bulk_tags`). Secondary calls that may fail on
their own (tags, history, a batch API an endpoint lacks) go through `ctx.soft`, which records an
`errors` row and returns a default, so a missing permission is visible, never silent. Per-item
and per-batch calls go through `ctx.each`: one failing item costs that item's rows, not the list's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Literal, TypeVar

from botocore import xform_name

from audit.aws.botodata import model_session
from audit.aws.failures import AWS_ERRORS, classify, error_row
from audit.aws.limits import page_size
from audit.aws.tagging import TagIndex
from audit.config.accounts import REVISION_LOOKUPS
from audit.names import looks_secret
from audit.store.schema import RESOURCE_TYPES

Rows = dict[str, list[dict[str, Any]]]
Operation = tuple[str, str]  # (botocore service name, operation name), e.g. ("s3", "ListBuckets")
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Ctx:
    """One (account, region, collector) task: clients, time window, and an error sink."""

    account_id: str
    client_name: str
    region: str
    collector: str
    clients: Callable[..., Any]  # clients(service) -> this region's client; clients(service, region) another's
    since: datetime
    until: datetime | None = None  # end of the snapshot day (a back-dated crawl excludes later history)
    partition: str = "aws"  # the ARN partition of the crawl (aws, aws-cn, aws-us-gov): audit.aws.partitions
    errors: list[dict[str, Any]] = field(default_factory=list)
    tag_index: TagIndex | None = None  # the account's bulk tags (None: read tags per resource)
    # rows of this account and region in the last good snapshot, for the tables the collector
    # `reuses` (values it need not fetch again; it copies them into its new rows)
    previous: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    revision_lookups: int = REVISION_LOOKUPS  # accounts.yaml defaults.revision_lookups (codepipeline)

    def client(self, service: str, region: str | None = None) -> Any:
        """This task's client for `service`; `region` only for calls that must go to a resource's own
        region (an S3 bucket's), never to fan out over regions."""
        return self.clients(service) if region is None else self.clients(service, region)

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        """An ARN in this crawl's partition for APIs that return none: arn:<partition>:<service>:<region>:
        <account>:<resource>; region and account default to the task's ('' where the ARN has none)."""
        return (f"arn:{self.partition}:{service}:{self.region if region is None else region}:"
                f"{self.account_id if account is None else account}:{resource}")

    def in_window(self, when: datetime | None) -> bool:
        """True for a history event inside [since, until)."""
        return when is not None and when >= self.since and (self.until is None or when < self.until)

    @property
    def where(self) -> dict[str, str]:
        return {"account_id": self.account_id, "client": self.client_name, "region": self.region}

    def error(self, exc: BaseException, operation: str = "") -> None:
        """An errors row; it names the operation that failed (botocore's), else `operation`."""
        failed = getattr(exc, "operation_name", "") or operation
        self.errors.append(error_row(exc, account_id=self.account_id, client=self.client_name,
                                     region=self.region, collector=self.collector, operation=failed))

    def each(self, operation: str, items: Iterable[T], fn: Callable[[T], R]) -> list[R]:
        """fn(item) for every item (one resource, or one batch of ids): a failure is an errors row
        and loses only that item's result, never the others'."""
        out: list[R] = []
        for item in items:
            try:
                out.append(fn(item))
            except AWS_ERRORS as exc:
                self.error(exc, operation)
        return out

    def soft(self, operation: str, fn: Callable[..., Any], *args: Any, default: Any = None,
             quiet: tuple[str, ...] = (), **kwargs: Any) -> Any:
        """Call fn; an AWS failure becomes an errors row and `default` is returned.

        `quiet` error classes return the default without a row (e.g. tags of a resource that
        vanished between listing and tagging: not-found)."""
        try:
            return fn(*args, **kwargs)
        except AWS_ERRORS as exc:
            if classify(exc)[0] not in quiet:
                self.error(exc, operation)
            return default


    def tags_for(self, arn: str, operation: str, fetch: Callable[[], Any], *, region: str | None = None,
                 **soft: Any) -> Any:
        """A resource's tags: from the tag index when its pass covered the resource's region (this
        task's region unless given; a resource it does not list has none), else `fetch()`, the
        per-resource tag call named `operation`, through `soft` (a failure costs these tags only)."""
        if self.tag_index is not None and self.tag_index.covers(region or self.region):
            return self.tag_index.get(arn)
        return self.soft(operation, fetch, **soft)


@dataclass(frozen=True)
class Collector:
    """A registry entry: name, the tables it fills, the operations it calls, its function.

    `reuses` names tables of the last good snapshot the crawler hands it (this account and region
    only) through `Ctx.previous`. `operations` are botocore (service, operation) pairs: the read-only guard allows exactly these
    (audit.aws.guard) and the audit role's policy grants their IAM actions (audit.aws.policy).
    `scope` (global: run once per account, region 'global') follows from its tables' declarations
    in store/schema.py; a collector cannot mix global and regional resource tables.
    `bulk_tags` are the Resource Groups Tagging API resource types (`service[:type]` filters) whose
    tags it takes from the tag index (`Ctx.tags_for`); its per-resource tag operations stay
    declared as the fallback."""

    name: str
    collect: Callable[[Ctx], Rows]
    tables: tuple[str, ...]
    operations: tuple[Operation, ...]
    bulk_tags: tuple[str, ...] = ()
    reuses: tuple[str, ...] = ()  # tables whose previous-snapshot rows it reads (`Ctx.previous`)
    scope: Literal["regional", "global"] = field(init=False)

    def __post_init__(self) -> None:
        scopes = {RESOURCE_TYPES[t].scope for t in self.tables if t in RESOURCE_TYPES} or {"regional"}
        if len(scopes) > 1:
            raise ValueError(f"collector {self.name}: mixes global and regional tables {self.tables}")
        object.__setattr__(self, "scope", scopes.pop())


def operations(service: str, *names: str) -> tuple[Operation, ...]:
    """(service, name) pairs for a Collector's declaration: operations("ecr", "ListImages", ...)."""
    return tuple((service, name) for name in names)


# ---- paging and batching ---------------------------------------------------------------------------


def paginate(client: Any, operation: str, **params: Any) -> Any:
    """botocore's page iterator for `operation`, asking for the largest page it allows (audit.aws.limits)."""
    size = page_size(client.meta.service_model.service_name, api_name_of(client, operation))
    config = {"PaginationConfig": {"PageSize": size}} if size else {}
    return client.get_paginator(operation).paginate(**params, **config)


def pages(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    """Every item of `key` across all pages (botocore paginator when the operation has one, at its
    largest page size)."""
    if client.can_paginate(operation):
        out: list[Any] = []
        for page in paginate(client, operation, **params):
            out.extend(page.get(key, []) or [])
        return out
    return list(getattr(client, operation)(**params).get(key, []) or [])


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ---- pure helpers ----------------------------------------------------------------------------------

SECRET_MASK = "<masked>"  # stands for a value that is never stored (the key or name stays)


def mask_secret_values(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags are user data: the value under a secret-looking key (password, api_token, private_key)
    is replaced by SECRET_MASK; the key stays."""
    return {k: SECRET_MASK if looks_secret(k) else v for k, v in tags.items()}


def tags_json(tags: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None,
              key: str = "Key", value: str = "Value") -> str:
    """Tags as one sorted JSON object, whether AWS gave a dict or a list of {Key, Value}; values
    under secret-looking keys masked."""
    if not tags:
        return "{}"
    if isinstance(tags, Mapping):
        out = {str(k): str(v) for k, v in tags.items()}
    else:
        out = {str(t[key]): str(t.get(value, "")) for t in tags}
    return json.dumps(mask_secret_values(out), sort_keys=True)


def resource_row(ctx: Ctx, arn: str | None, name: str, tags: Any = None, *, tag_key: str = "Key",
                 tag_value: str = "Value", **columns: Any) -> dict[str, Any]:
    """One resource row: the common columns every resource table declares (provenance, arn, name,
    tags as JSON, `managed_by` left for the crawler to decide once the account is crawled) plus the
    table's own `columns`. `tags` is what AWS gave: a dict or a list of {tag_key, tag_value}."""
    return {**ctx.where, "arn": arn, "name": name, "tags": tags_json(tags, tag_key, tag_value), "managed_by": None,
            **columns}


def finding(where: Mapping[str, str], collector: str, arn: str, name: str, kind: str, detail: str) -> dict[str, Any]:
    return {**where, "collector": collector, "resource_arn": arn, "resource_name": name, "kind": kind,
            "detail": detail}


def secret_findings(where: Mapping[str, str], collector: str, arn: str, name: str,
                    plaintext_names: Iterable[str]) -> list[dict[str, Any]]:
    """A finding per plaintext variable whose name looks secret: the name, never the value."""
    return [finding(where, collector, arn, name, "plaintext-secret-variable", var)
            for var in sorted(set(plaintext_names)) if looks_secret(var)]


def arn_account(arn: str) -> str | None:
    """The account field of an ARN (arn:partition:service:region:account:resource); None for what
    is not an ARN (a bare account id, a unique id, '*')."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" else None


def arn_tail(arn: str | None) -> str:
    """The last path part of an ARN (`.../service/name` -> `name`)."""
    return (arn or "").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def image_registry(image: str | None) -> str | None:
    """ecr | dockerhub | ghcr | public-ecr | other, from an image reference."""
    if not image:
        return None
    host = image.split("/", 1)[0] if "/" in image else ""
    if ".dkr.ecr." in host:
        return "ecr"
    if host == "public.ecr.aws":
        return "public-ecr"
    if host == "ghcr.io":
        return "ghcr"
    if not host or ("." not in host and ":" not in host) or host in ("docker.io", "registry-1.docker.io"):
        return "dockerhub"
    return "other"


def strip_tag(image: str | None) -> str | None:
    """An image reference without its tag or digest."""
    if not image:
        return None
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)
    if ":" in last[-1]:
        image = image[: len(image) - len(last[-1])] + last[-1].split(":", 1)[0]
    return image


# ---- the generic engine ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceSpec:
    """A simple resource declared as data: how to list it and which fields become the common columns.

    `detail_op` (optional) enriches the listed items: with `batch` > 0 it takes `detail_param` as a
    list of up to `batch` ids per call (BatchGet*), else one id per call. `tags_op` fetches tags
    per resource when the list/detail answer has none, unless the tag index covers the region
    (`bulk_tags`: the tagging API's resource type filter). `columns` turns one raw item into the
    table's own columns (pure).
    """

    table: str
    service: str
    list_op: str
    result_key: str
    name_key: str
    arn: Callable[[Mapping[str, Any], Ctx], str]
    columns: Callable[[Mapping[str, Any]], dict[str, Any]] = lambda raw: {}
    list_params: Mapping[str, Any] = field(default_factory=dict)
    id_key: str | None = None
    detail_op: str | None = None
    detail_param: str | None = None
    detail_key: str | None = None
    batch: int = 0
    tags: Callable[[Mapping[str, Any]], Any] | None = None
    tags_op: str | None = None
    tags_param: str | None = None
    tags_key: str | None = None
    tags_from: Literal["arn", "name"] = "arn"
    bulk_tags: str | None = None

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple((self.service, api_name(self.service, op))
                     for op in (self.list_op, self.detail_op, self.tags_op) if op)


@cache
def _api_names(service: str) -> dict[str, str]:
    model = model_session().get_service_model(service)
    return {xform_name(op): op for op in model.operation_names}


def api_name_of(client: Any, method: str) -> str:
    return api_name(client.meta.service_model.service_name, method)


def api_name(service: str, method: str) -> str:
    """The API operation behind a client method name (botocore's own mapping): list_open_id_... -> ..."""
    try:
        return _api_names(service)[method]
    except KeyError:
        raise ValueError(f"{service} has no operation {method}") from None


def get_spec(spec: ResourceSpec, ctx: Ctx) -> list[dict[str, Any]]:
    """Page the list operation and fetch details/tags as declared. Raises on the list failing."""
    client = ctx.client(spec.service)
    items = pages(client, spec.list_op, spec.result_key, **dict(spec.list_params))
    if spec.detail_op and items:
        ids = [item if isinstance(item, str) else item[spec.id_key or spec.name_key] for item in items]
        op, name = getattr(client, spec.detail_op), api_name(spec.service, spec.detail_op)
        if spec.batch:  # one batch failing loses that batch only
            parts = ctx.each(name, chunks(ids, spec.batch),
                             lambda part: op(**{spec.detail_param: list(part)}).get(spec.detail_key, []))
            items = [i for part in parts for i in part]
        else:  # one item failing loses that item only
            items = ctx.each(name, ids, lambda i: op(**{spec.detail_param: i})[spec.detail_key])
    items = [dict(i) for i in items]
    if spec.tags_op:
        tag_op = getattr(client, spec.tags_op)
        for item in items:
            ident = spec.arn(item, ctx) if spec.tags_from == "arn" else item[spec.name_key]
            tag_call = api_name(spec.service, spec.tags_op)

            def fetch(i: str = ident) -> Any:
                return tag_op(**{spec.tags_param: i}).get(spec.tags_key)

            item["__tags"] = (ctx.tags_for(spec.arn(item, ctx), tag_call, fetch) if spec.bulk_tags
                              else ctx.soft(tag_call, fetch))
    return items


def transform_spec(spec: ResourceSpec, items: Iterable[Mapping[str, Any]], ctx: Ctx) -> list[dict[str, Any]]:
    """Pure: raw items -> rows with the common resource columns plus the spec's own."""
    rows = []
    for raw in items:
        tags = raw.get("__tags") if spec.tags_op else (spec.tags(raw) if spec.tags else None)
        rows.append(resource_row(ctx, spec.arn(raw, ctx), raw[spec.name_key], tags, **spec.columns(raw)))
    return rows


def spec_collector(name: str, *specs: ResourceSpec) -> Collector:
    """A Collector that runs every spec; one failing spec becomes an error row, the others still run."""

    def collect(ctx: Ctx) -> Rows:
        out: Rows = {}
        for spec in specs:
            try:
                out.setdefault(spec.table, []).extend(transform_spec(spec, get_spec(spec, ctx), ctx))
            except AWS_ERRORS as exc:
                ctx.error(exc, api_name(spec.service, spec.list_op))
        return out

    ops = tuple(dict.fromkeys(op for s in specs for op in s.operations))
    bulk = tuple(dict.fromkeys(s.bulk_tags for s in specs if s.bulk_tags))
    return Collector(name, collect, tuple(dict.fromkeys(s.table for s in specs)), ops, bulk)


def region_arn(service: str, resource: str, *, account: bool = True) -> Callable[[Mapping[str, Any], Ctx], str]:
    """ARN builder for APIs that give no ARN: arn:<partition>:<service>:<region>:<account>:<resource>
    (`account=False` for services whose ARNs carry none: API Gateway, see
    https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html)."""

    def build(raw: Mapping[str, Any], ctx: Ctx) -> str:
        return ctx.arn(service, resource.format(**raw), account=None if account else "")

    return build


def key_arn(key: str) -> Callable[[Mapping[str, Any], Ctx], str]:
    return lambda raw, ctx: raw[key]

