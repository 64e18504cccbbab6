"""Names one config file uses that another must define: the teams of repos.yaml and survey/*.yaml,
and the clients of repos.yaml, must be ones accounts.yaml knows (a typo or another fleet's survey
would otherwise bring in phantom teams). `validate` runs this across the files it is given.
"""

from __future__ import annotations

import os

from pydantic import BaseModel

from audit.config.accounts import AccountsConfig
from audit.config.repos import ReposConfig
from audit.config.survey import Survey
from audit.errors import ConfigError
from audit.yamlfile import dotted, load_yaml


def unknown_names(accounts: AccountsConfig, path: str | os.PathLike, model: BaseModel) -> list[ConfigError]:
    """Every team or client `model` (repos or survey, loaded from `path`) names that `accounts` does not.

    Accounts discovered through AWS Organizations get their names only at crawl time: then nothing
    can be checked here.
    """
    if accounts.discover is not None:
        return []
    teams = {t for c in accounts.clients for t in c.teams}
    clients = {c.name for c in accounts.clients}
    doc = load_yaml(path)
    out = []

    def problem(what: str, name: str, loc: tuple, known: set[str]) -> None:
        out.append(ConfigError(f"{what} {name!r} is not in accounts.yaml (known: {', '.join(sorted(known)) or 'none'})",
                               file=str(path), line=doc.line_of(loc), field=dotted(loc)))

    if isinstance(model, Survey) and model.team not in teams:
        problem("team", model.team, ("team",), teams)
    if isinstance(model, ReposConfig):
        for i, repo in enumerate(model.repositories):
            if repo.team not in teams:
                problem("team", repo.team, ("repositories", i, "team"), teams)
            for j, client in enumerate(repo.clients):
                if client not in clients:
                    problem("client", client, ("repositories", i, "clients", j), clients)
    return out
