"""accounts.yaml: which client accounts to crawl and how to get in (role, external id, regions)."""

from __future__ import annotations

import os
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from audit.config.base import AccountId, Located, Model, Name, Region, load_model, unique

# GetPipelineExecution (commit time where the source is not CodeCommit, whose commits are read in
# batches) is one call per execution: a first crawl looks up this many most recent executions per
# pipeline (90 calls for 30 such pipelines instead of 1,500); later crawls only the executions the
# previous snapshot lacks (docs/crawler.md, docs/analysis.md)
REVISION_LOOKUPS = 3

# the shapes IAM and STS accept (AWS IAM API reference: Role.RoleName, Role.Path; STS AssumeRole ExternalId)
PARTITIONS = ("aws", "aws-us-gov", "aws-cn")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
ROLE_ARN = re.compile(r"^arn:(?:" + "|".join(PARTITIONS) + r"):iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
OU_ID = re.compile(r"^(?:ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$")  # Organizations ParentId


def _matching(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"expected {what}, got {value!r}")
        return value

    return AfterValidator(check)


def _role_ref(value: str) -> str:
    if value.startswith("arn:"):
        if not ROLE_ARN.match(value):
            raise ValueError(f"expected arn:<{'|'.join(PARTITIONS)}>:iam::<12 digits>:role/<name>, got {value!r}")
    elif not ROLE_NAME.match(value):
        raise ValueError(f"expected a role name (1-64 of A-Z a-z 0-9 +=,.@_-) or a role ARN, got {value!r}")
    return value


def endpoint_url_problem(value: str) -> str | None:
    """Why `value` cannot be an AWS endpoint (http or https to a host, no credentials), or None.

    botocore would take a file:// or hostless URL and fail only inside the crawl."""
    try:
        url = urlsplit(value)
        url.port  # noqa: B018 - raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        return f"expected an http(s) URL, got {value!r} ({exc})"
    if url.scheme not in ("http", "https") or not url.hostname:
        return f"expected http://host[:port] or https://host[:port], got {value!r}"
    if url.username is not None or url.password is not None:
        return "expected an endpoint URL without user or password"
    if url.query or url.fragment:
        return f"expected an endpoint URL without query or fragment, got {value!r}"
    return None


def _endpoint_url(value: str) -> str:
    problem = endpoint_url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


RoleName = Annotated[str, _matching(ROLE_NAME, "a role name (1-64 of A-Z a-z 0-9 +=,.@_-)")]
RoleRef = Annotated[str, AfterValidator(_role_ref)]
RoleArn = Annotated[str, _matching(ROLE_ARN, f"arn:<{'|'.join(PARTITIONS)}>:iam::<12 digits>:role/<name>")]
ExternalId = Annotated[str, _matching(EXTERNAL_ID, "an external id (2-1224 of A-Z a-z 0-9 +=,.@:/_-)")]
OuId = Annotated[str, _matching(OU_ID, "an organizational unit id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)")]
EndpointUrl = Annotated[str, AfterValidator(_endpoint_url)]


class RetrySettings(Model):
    """botocore retry and timeout settings for every client the crawler makes."""

    mode: Literal["standard", "adaptive", "legacy"] = "adaptive"
    max_attempts: int = Field(8, ge=1, le=20)
    connect_timeout: float = Field(5.0, gt=0)
    read_timeout: float = Field(30.0, gt=0)


class Defaults(Model):
    role_name: RoleName = "CicdAuditReadOnly"
    external_id: ExternalId | None = None
    regions: list[Region] | Literal["all"] = Field(default_factory=lambda: ["us-east-1"])
    session_name: str = Field("cicd-audit", pattern=r"^[\w+=,.@-]{2,64}$")
    max_workers: int = Field(16, ge=1, le=512)
    history_days: int = Field(90, ge=1, le=365)
    revision_lookups: int = Field(REVISION_LOOKUPS, ge=0, le=1000)
    retry: RetrySettings = RetrySettings()

    @model_validator(mode="after")
    def _regions_not_empty(self) -> Defaults:
        if isinstance(self.regions, list) and not self.regions:
            raise Located("expected at least one region or 'all'", ("regions",))
        return self


class Client(Model):
    name: Name
    account_id: AccountId
    role: RoleRef | None = Field(None, description="role name or full role ARN; default: defaults.role_name")
    external_id: ExternalId | None = None
    regions: list[Region] | Literal["all"] | None = None
    teams: list[Name] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Client:
        if isinstance(self.regions, list) and not self.regions:
            raise Located("expected at least one region, 'all', or leave it out", ("regions",))
        return self

    def role_arn(self, defaults: Defaults, partition: str = "aws") -> str:
        """The role to assume: a full ARN as given, else the role name in this account (and partition)."""
        role = self.role or defaults.role_name
        return role if role.startswith("arn:") else f"arn:{partition}:iam::{self.account_id}:role/{role}"


class OrganizationsDiscovery(Model):
    """List client accounts from an AWS Organizations management account instead of by hand."""

    management_role_arn: RoleArn | None = None
    ou_ids: list[OuId] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict, description="account tags that must all match")
    exclude_account_ids: list[AccountId] = Field(default_factory=list)
    client_tag: str = Field("client", description="account tag holding the client name (else account name)")
    teams_tag: str = Field("teams", description="account tag holding comma-separated team names")


class Discover(Model):
    organizations: OrganizationsDiscovery


class AccountsConfig(Model):
    defaults: Defaults = Defaults()
    clients: list[Client] = Field(default_factory=list)
    discover: Discover | None = None
    endpoint_url: EndpointUrl | None = Field(None, description="AWS endpoint override (moto, LocalStack)")

    @model_validator(mode="after")
    def _check(self) -> AccountsConfig:
        if not self.clients and self.discover is None:
            raise Located("expected at least one client (or a discover: section)", ("clients",))
        unique(self.clients, "name", "clients")
        unique(self.clients, "account_id", "clients")
        return self

    def regions_for(self, client: Client) -> list[str] | Literal["all"]:
        return client.regions if client.regions is not None else self.defaults.regions


def load_accounts(path: str | os.PathLike) -> AccountsConfig:
    return load_model(AccountsConfig, path)
