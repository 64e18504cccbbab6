"""The user's configuration files as frozen pydantic models, with errors that name file:line.

    accounts.yaml     which client accounts to crawl and how to get in (role, external id, regions)
    repos.yaml        which team repositories to scan
    survey/*.yaml     each team lead's answers: manual minutes per deploy, hotfixes, sprint calendar
    catalog.yaml      candidate automation work items (models in audit.analysis.catalog)

`load_accounts`, `load_repos`, `load_survey` and `load_config_file` are the only ways in; they
return validated models or raise `ConfigError` (exit code 2) with one readable line.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from audit.errors import ConfigError
from audit.yamlfile import LocatedYaml, dotted, load_yaml

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\- ]*$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Located(ValueError):
    """A validator error that knows the exact location of the offending value."""

    def __init__(self, message: str, loc: tuple) -> None:
        super().__init__(message)
        self.loc = loc


# ---- accounts.yaml -------------------------------------------------------------------------------


class RetrySettings(_Model):
    """botocore retry and timeout settings for every client the crawler makes."""

    mode: Literal["standard", "adaptive", "legacy"] = "adaptive"
    max_attempts: int = Field(8, ge=1, le=20)
    connect_timeout: float = Field(5.0, gt=0)
    read_timeout: float = Field(30.0, gt=0)


class Defaults(_Model):
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
            raise _Located("expected at least one region or 'all'", ("regions",))
        return self


class Client(_Model):
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
            raise _Located(f"expected a role name or arn:aws:iam::<12 digits>:role/<name>, got {self.role!r}",
                           ("role",))
        if isinstance(self.regions, list) and not self.regions:
            raise _Located("expected at least one region, 'all', or leave it out", ("regions",))
        return self

    def role_arn(self, defaults: Defaults) -> str:
        role = self.role or defaults.role_name
        return role if role.startswith("arn:") else f"arn:aws:iam::{self.account_id}:role/{role}"


class OrganizationsDiscovery(_Model):
    """List client accounts from an AWS Organizations management account instead of by hand."""

    management_role_arn: str | None = None
    ou_ids: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict, description="account tags that must all match")
    exclude_account_ids: list[AccountId] = Field(default_factory=list)
    client_tag: str = Field("client", description="account tag holding the client name (else account name)")
    teams_tag: str = Field("teams", description="account tag holding comma-separated team names")


class Discover(_Model):
    organizations: OrganizationsDiscovery


class AccountsConfig(_Model):
    defaults: Defaults = Defaults()
    clients: list[Client] = Field(default_factory=list)
    discover: Discover | None = None
    endpoint_url: str | None = Field(None, description="AWS endpoint override (moto, LocalStack)")

    @model_validator(mode="after")
    def _check(self) -> AccountsConfig:
        if not self.clients and self.discover is None:
            raise _Located("expected at least one client (or a discover: section)", ("clients",))
        _unique(self.clients, "name", "clients")
        _unique(self.clients, "account_id", "clients")
        return self

    def regions_for(self, client: Client) -> list[str] | Literal["all"]:
        return client.regions if client.regions is not None else self.defaults.regions


def _unique(items: list[Any], attr: str, where: str) -> None:
    seen: dict[Any, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value in seen:
            raise _Located(f"duplicate {attr} {value!r} (also {where}[{seen[value]}])", (where, i, attr))
        seen[value] = i


# ---- repos.yaml ----------------------------------------------------------------------------------


class RepoEntry(_Model):
    name: Name
    team: Name
    url: str | None = Field(None, description="git URL (https, ssh, file://) or path to a bare repository")
    path: str | None = Field(None, description="local working tree")
    branch: str | None = None
    clients: list[Name] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> RepoEntry:
        if (self.url is None) == (self.path is None):
            raise ValueError("expected exactly one of url or path")
        return self


class CodeCommitDiscovery(_Model):
    accounts: list[AccountId] = Field(min_length=1)
    regions: list[Region] = Field(default_factory=lambda: ["us-east-1"])
    team: Name = "unknown"


class RepoDiscovery(_Model):
    from_pipelines: bool = True
    codecommit: CodeCommitDiscovery | None = None


class ReposConfig(_Model):
    cache_dir: str = ".cache/repos"
    workers: int = Field(8, ge=1, le=128)
    repositories: list[RepoEntry] = Field(min_length=1)
    discover: RepoDiscovery = RepoDiscovery()

    @model_validator(mode="after")
    def _check(self) -> ReposConfig:
        _unique(self.repositories, "name", "repositories")
        return self


# ---- survey/<team>.yaml --------------------------------------------------------------------------


class SprintCalendar(_Model):
    length_days: int = Field(14, ge=1, le=56)
    anchor: date = Field(description="first day of any sprint; sprints repeat every length_days")
    release_weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None


class ManualStep(_Model):
    name: str = Field(min_length=1)
    minutes: float = Field(ge=0, le=24 * 60)
    per: Literal["deploy", "release", "hotfix", "onboarding", "sprint"] = "deploy"


class Survey(_Model):
    team: Name
    lead: str | None = None
    sprint: SprintCalendar
    manual_steps: list[ManualStep] = Field(default_factory=list)
    hotfixes_per_month: float = Field(0, ge=0)
    deploys_per_sprint: float | None = Field(None, ge=0)
    pain_points: list[str] = Field(default_factory=list)

    def manual_minutes(self, per: str = "deploy") -> float:
        return sum(s.minutes for s in self.manual_steps if s.per == per)


# ---- loading -------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def _explain(err: dict[str, Any]) -> str:
    kind, msg = err.get("type", ""), err.get("msg", "")
    value = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "string_type" and err["loc"] and err["loc"][-1] == "account_id":
        return f"expected a 12-digit account id in quotes, got {value!r}"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        if pattern == r"^\d{12}$":
            return f"expected a 12-digit account id (quote it), got {value!r}"
        return f"expected text matching {pattern}, got {value!r}"
    text = msg.removeprefix("Value error, ")
    if value is not None and not isinstance(value, dict | list) and "got" not in text:
        text += f", got {value!r}"
    return text


def validate_model(model: type[M], doc: LocatedYaml) -> M:
    """Validate a located document; the first error becomes a ConfigError naming file:line and field."""
    if not isinstance(doc.data, dict):
        raise ConfigError(f"expected a mapping at the top level, got {type(doc.data).__name__}",
                          file=doc.file, line=1)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        located = (err.get("ctx") or {}).get("error")
        if isinstance(located, _Located):
            loc = loc + tuple(located.loc)
        # pydantic reports union members as extra loc parts ("list[...]", "literal[...]"): drop them
        loc = tuple(p for p in loc if isinstance(p, int) or not (("[" in p) or p.startswith("function-")))
        message = _explain(err)
        if isinstance(located, _Located):
            message = str(located)
        field = dotted(loc) if loc else None
        raise ConfigError(message, file=doc.file, line=doc.line_of(loc), field=field) from None


def load_model(model: type[M], path: str | os.PathLike) -> M:
    return validate_model(model, load_yaml(path))


def load_accounts(path: str | os.PathLike) -> AccountsConfig:
    return load_model(AccountsConfig, path)


def load_repos(path: str | os.PathLike) -> ReposConfig:
    return load_model(ReposConfig, path)


def load_survey(path: str | os.PathLike) -> Survey:
    return load_model(Survey, path)


def load_surveys(directory: str | os.PathLike) -> dict[str, Survey]:
    """Every survey/*.yaml by team; two files for one team is an error."""
    out: dict[str, Survey] = {}
    files: dict[str, Path] = {}
    for path in sorted(Path(directory).glob("*.y*ml")):
        survey = load_survey(path)
        if survey.team in out:
            raise ConfigError(f"team {survey.team!r} already answered in {files[survey.team]}",
                              file=str(path), line=load_yaml(path).line_of(("team",)), field="team")
        out[survey.team], files[survey.team] = survey, path
    return out


def detect_kind(doc: LocatedYaml) -> str:
    """Which config a file is, from its top-level keys (so `validate` takes any list of files)."""
    keys = set(doc.data) if isinstance(doc.data, dict) else set()
    if "items" in keys:
        return "catalog"
    if "repositories" in keys:
        return "repos"
    if keys & {"clients", "discover"}:
        return "accounts"
    if keys & {"sprint", "manual_steps"}:
        return "survey"
    raise ConfigError("cannot tell which config this is: expected top-level 'clients' (accounts), "
                      "'repositories' (repos), 'items' (catalog) or 'sprint' (survey)", file=doc.file, line=1)


def load_config_file(path: str | os.PathLike) -> tuple[str, BaseModel]:
    """Load and validate any config file, returning (kind, model)."""
    doc = load_yaml(path)
    kind = detect_kind(doc)
    if kind == "catalog":
        from audit.analysis.catalog import load_catalog  # the catalog needs a snapshot-aware validator

        return kind, load_catalog(path)
    model = {"accounts": AccountsConfig, "repos": ReposConfig, "survey": Survey}[kind]
    return kind, validate_model(model, doc)
