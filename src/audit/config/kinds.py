"""Which config a file is, and the one loader for each kind: `validate` dispatches through `KINDS`.

Each kind is told from the file's top-level keys, so `cicd-audit validate` takes any list of files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from audit.config.accounts import load_accounts
from audit.config.catalog import load_catalog
from audit.config.decisions import load_decisions
from audit.config.repos import load_repos
from audit.config.survey import load_survey
from audit.errors import ConfigError
from audit.yamlfile import LocatedYaml, load_yaml


@dataclass(frozen=True)
class Kind:
    """One config kind: the top-level keys that identify it and the loader that validates it."""

    name: str
    keys: frozenset[str]
    load: Callable[[str | os.PathLike], BaseModel]


# first match wins: a catalog has `items`, repos `repositories`, so neither is mistaken for accounts
KINDS: tuple[Kind, ...] = (
    Kind("catalog", frozenset({"items"}), load_catalog),
    Kind("repos", frozenset({"repositories"}), load_repos),
    Kind("accounts", frozenset({"clients", "discover"}), load_accounts),
    Kind("survey", frozenset({"sprint", "manual_steps", "release_messages"}), load_survey),
    Kind("decisions", frozenset({"meetings"}), load_decisions),
)


def detect_kind(doc: LocatedYaml) -> str:
    """Which config a file is, from its top-level keys."""
    keys = set(doc.data) if isinstance(doc.data, dict) else set()
    for kind in KINDS:
        if keys & kind.keys:
            return kind.name
    raise ConfigError("cannot tell which config this is: expected top-level 'clients' (accounts), "
                      "'repositories' (repos), 'items' (catalog), 'sprint' (survey) or 'meetings' (decisions)",
                      file=doc.file, line=1)


def load_config_file(path: str | os.PathLike) -> tuple[str, BaseModel]:
    """Load and validate any config file, returning (kind, model)."""
    name = detect_kind(load_yaml(path))
    kind = next(k for k in KINDS if k.name == name)
    return name, kind.load(path)
