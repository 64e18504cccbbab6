"""The user's configuration files as frozen pydantic models, with errors that name file:line.

    accounts.yaml     which client accounts to crawl and how to get in   (config.accounts)
    repos.yaml        which team repositories to scan                    (config.repos)
    survey/*.yaml     each team lead's answers: manual minutes, sprints  (config.survey)
    catalog.yaml      candidate automation work items, SQL dry-run       (config.catalog)
    decisions.yaml    what the meetings picked and what became of it     (config.decisions)

The `load_*` functions and `load_config_file` (which `validate` uses, dispatching through
`kinds.KINDS`) are the only ways in; they return validated models or raise `ConfigError`
(exit code 2) with one readable line. The shared base and field types are in `config.base`.
"""

from __future__ import annotations

from audit.config.accounts import (
    ROLE_ARN,
    AccountsConfig,
    Client,
    Defaults,
    Discover,
    OrganizationsDiscovery,
    RetrySettings,
    load_accounts,
)
from audit.config.base import AccountId, Name, Region, load_model, validate_model
from audit.config.catalog import Catalog, Effort, Item, Payoff, load_catalog
from audit.config.decisions import Decisions, Pick, load_decisions, record_decision
from audit.config.kinds import KINDS, detect_kind, load_config_file
from audit.config.repos import CodeCommitDiscovery, RepoDiscovery, RepoEntry, ReposConfig, load_repos
from audit.config.survey import ManualStep, SprintCalendar, Survey, load_survey, load_surveys

__all__ = [
    "KINDS",
    "ROLE_ARN",
    "AccountId",
    "AccountsConfig",
    "Catalog",
    "Client",
    "CodeCommitDiscovery",
    "Decisions",
    "Defaults",
    "Discover",
    "Effort",
    "Item",
    "ManualStep",
    "Name",
    "OrganizationsDiscovery",
    "Payoff",
    "Pick",
    "Region",
    "RepoDiscovery",
    "RepoEntry",
    "ReposConfig",
    "RetrySettings",
    "SprintCalendar",
    "Survey",
    "detect_kind",
    "load_accounts",
    "load_catalog",
    "load_config_file",
    "load_decisions",
    "load_model",
    "load_repos",
    "load_survey",
    "load_surveys",
    "record_decision",
    "validate_model",
]
