"""accounts.yaml: which client accounts to crawl and how to get in (role, external id, regions)."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, model_validator

from audit.config.base import AccountId, Located, Model, Name, Region, load_model, unique

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


class RetrySettings(Model):
    """botocore retry and timeout settings for every client the crawler makes."""

    mode: Literal["standard", "adaptive", "legacy"] = "adaptive"
    max_attempts: int = Field(8, ge=1, le=20)
    connect_timeout: float = Field(5.0, gt=0)
    read_timeout: float = Field(30.0, gt=0)


class Defaults(Model):
    role_name: str = "CicdAuditReadOnly"
    external_id: str | None = None
    regions: list[Region] | Literal["all"] = Field(default_factory=lambda: ["us-east-1"])
    session_name: str = Field("cicd-audit", pattern=r"^[\w+=,.@-]{2,64}$")
    max_workers: int = Field(16, ge=1, le=512)
    history_days: int = Field(90, ge=1, le=365)
    retry: RetrySettings = RetrySettings()

    @model_validator(mode="after")
    def _regions_not_empty(self) -> Defaults:
        if isinstance(self.regions, list) and not self.regions:
            raise Located("expected at least one region or 'all'", ("regions",))
        return self


class Client(Model):
    name: Name
    account_id: AccountId
    role: str | None = Field(None, description="role name or full role ARN; default: defaults.role_name")
    external_id: str | None = None
    regions: list[Region] | Literal["all"] | None = None
    teams: list[Name] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Client:
        if self.role and self.role.startswith("arn:") and not ROLE_ARN.match(self.role):
            raise Located(f"expected a role name or arn:aws:iam::<12 digits>:role/<name>, got {self.role!r}",
                           ("role",))
        if isinstance(self.regions, list) and not self.regions:
            raise Located("expected at least one region, 'all', or leave it out", ("regions",))
        return self

    def role_arn(self, defaults: Defaults) -> str:
        role = self.role or defaults.role_name
        return role if role.startswith("arn:") else f"arn:aws:iam::{self.account_id}:role/{role}"


class OrganizationsDiscovery(Model):
    """List client accounts from an AWS Organizations management account instead of by hand."""

    management_role_arn: str | None = None
    ou_ids: list[str] = Field(default_factory=list)
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
    endpoint_url: str | None = Field(None, description="AWS endpoint override (moto, LocalStack)")

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
