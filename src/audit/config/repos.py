"""repos.yaml: which team repositories to scan (and where to discover more)."""

from __future__ import annotations

import os

from pydantic import Field, model_validator

from audit.config.base import AccountId, Model, Name, Region, load_model, unique


class RepoEntry(Model):
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


class CodeCommitDiscovery(Model):
    accounts: list[AccountId] = Field(min_length=1)
    regions: list[Region] = Field(default_factory=lambda: ["us-east-1"])
    team: Name = "unknown"


class RepoDiscovery(Model):
    from_pipelines: bool = True
    codecommit: CodeCommitDiscovery | None = None


class ReposConfig(Model):
    cache_dir: str = ".cache/repos"
    workers: int = Field(8, ge=1, le=128)
    repositories: list[RepoEntry] = Field(min_length=1)
    discover: RepoDiscovery = RepoDiscovery()

    @model_validator(mode="after")
    def _check(self) -> ReposConfig:
        unique(self.repositories, "name", "repositories")
        return self



def load_repos(path: str | os.PathLike) -> ReposConfig:
    return load_model(ReposConfig, path)
