"""survey/<team>.yaml: each team lead's answers (manual minutes per deploy, hotfixes, sprint calendar)."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from audit.config.base import Model, Name, load_model
from audit.errors import ConfigError
from audit.sprints import Weekday
from audit.yamlfile import load_yaml


class SprintCalendar(Model):
    length_days: int = Field(14, ge=1, le=56)
    anchor: date = Field(description="first day of any sprint; sprints repeat every length_days")
    release_weekday: Weekday | None = None  # sprint-end vs off-cycle: audit.sprints


class ManualStep(Model):
    name: str = Field(min_length=1)
    minutes: float = Field(ge=0, le=24 * 60)
    per: Literal["deploy", "release", "hotfix", "onboarding", "sprint"] = "deploy"


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"expected a regular expression, got {value!r} ({exc})") from exc
    return value


Pattern = Annotated[str, AfterValidator(_regex)]


class ReleaseMessages(Model):
    """How a deploy's commit message says hotfix or sprint-end release, when the team has no calendar.

    Case-insensitive regular expressions searched in the message's first line; hotfix wins when both
    match, a message matching neither is not counted (docs/analysis.md, "Delivery history").
    """

    hotfix: list[Pattern] = Field(default_factory=lambda: list(HOTFIX_PATTERNS))
    sprint_end: list[Pattern] = Field(default_factory=lambda: list(SPRINT_END_PATTERNS))


# Conventional Commits breaking/fix markers and the usual words; documented in docs/analysis.md
HOTFIX_PATTERNS = (r"^\s*hot-?fix\b", r"^\s*fix(\([^)]*\))?!:", r"\bhot-?fix(es)?\b", r"^\s*(revert|rollback)\b")
SPRINT_END_PATTERNS = (r"^\s*release(\([^)]*\))?:?\s*(for\s+)?sprint[ -]?\d+", r"\bsprint[ -]?\d+\s+release\b")


class Survey(Model):
    team: Name
    lead: str | None = None
    sprint: SprintCalendar | None = Field(None, description="no calendar: sprint-end vs hotfix from commit messages")
    release_messages: ReleaseMessages = ReleaseMessages()
    manual_steps: list[ManualStep] = Field(default_factory=list)
    hotfixes_per_month: float = Field(0, ge=0)
    deploys_per_sprint: float | None = Field(None, ge=0)
    pain_points: list[str] = Field(default_factory=list)
    person_hours_per_incident: float | None = Field(
        None, ge=0, le=1000, description="engineer hours one failed deploy costs the team (else catalog planning)")
    capacity_days: float | None = Field(
        None, ge=0, description="person-days the team gives the automation backlog per planning round")

    @model_validator(mode="after")
    def _per_sprint_needs_calendar(self) -> Survey:
        if self.deploys_per_sprint is not None and self.sprint is None:
            raise ValueError("deploys_per_sprint needs a sprint calendar (sprint: length_days, anchor)")
        return self

    def manual_minutes(self, per: str = "deploy") -> float:
        return sum(s.minutes for s in self.manual_steps if s.per == per)


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


