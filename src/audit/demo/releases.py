"""The teams' release calendar over the history window: commits, sprint-end releases, hotfixes.

Commit messages read as teams write them: feature work ("Add product filters"), the release commit
("release: sprint 14 v1.15.0") and hotfixes ("hotfix: checkout crash on empty basket"); the pipeline
executions carry them as their revision summary (history.py), so a crawl sees them without a repository.

One plan per repository, shared by everything that needs history: `gitrepos.py` writes the commits
and tags, `history.py` deploys each release to the clients that run the repository (pipeline
executions, builds, CodeDeploy deployments). Sprint-end releases fall on the team's
`release_weekday` in the second week of each sprint of the survey's calendar (`configs.SPRINTS`);
hotfixes fall on other days. Pure: a function of (model, now, weeks).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from audit.demo.configs import SPRINTS
from audit.demo.model import ALL_REPOS, REPO_TEAM, UNMATCHED_REPO, FleetModel
from audit.sprints import WEEKDAYS

# Chance that a sprint has a hotfix, per team (matches the surveys' hotfixes_per_month roughly).
HOTFIX_RATE = {"web": 0.9, "data": 0.5, "java": 0.7, "ops": 0.25}
# Days of a (Monday-anchored) sprint a hotfix may land on: Wed, Thu, Fri of week 1, Mon of week 2.
HOTFIX_SPRINT_DAYS = (2, 3, 4, 7)
AUTHORS = {
    "web": [("Dana Kim", "dana"), ("Leo Park", "leo"), ("Ana Souza", "ana")],
    "data": [("Priya Nair", "priya"), ("Tom Berg", "tom")],
    "java": [("Marek Nowak", "marek"), ("Eva Horvat", "eva"), ("Jon Olsen", "jon")],
    "ops": [("Sam Reyes", "sam")],
}


@dataclass(frozen=True)
class Commit:
    when: datetime
    message: str
    author: tuple[str, str]  # (name, email)


@dataclass(frozen=True)
class Release:
    repo: str
    tag: str
    kind: str  # sprint-end | hotfix
    released_at: datetime  # tag time
    commit: Commit  # the tagged commit

    def sha(self, plan: RepoPlan) -> str:
        return plan.shas.get(self.tag) or pseudo_sha(self.repo, self.tag)


@dataclass
class RepoPlan:
    repo: str
    team: str
    commits: list[Commit]
    releases: list[Release]
    shas: dict[str, str] = field(default_factory=dict)  # tag -> commit sha, filled by gitrepos


def pseudo_sha(repo: str, tag: str) -> str:
    """A stable commit id for releases whose repository is not generated."""
    return hashlib.sha1(f"{repo}@{tag}".encode()).hexdigest()


def sprint_releases(team: str, start: date, end: date) -> list[tuple[int, date]]:
    """(sprint number, release day) of every sprint whose release day is in [start, end]."""
    cal = SPRINTS[team]
    anchor, length = cal["anchor"], cal["length_days"]
    weekday = WEEKDAYS.index(cal["release_weekday"])
    out = []
    k = max(0, (start - anchor).days // length - 1)
    while True:
        sprint_start = anchor + timedelta(days=k * length)
        if sprint_start > end:
            return out
        # the release weekday in the sprint's last week
        last_week = sprint_start + timedelta(days=length - 7)
        day = last_week + timedelta(days=(weekday - last_week.weekday()) % 7)
        if start <= day <= end:
            out.append((k, day))
        k += 1


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def plan_repo(repo: str, team: str, *, seed: int, now: datetime, weeks: int) -> RepoPlan:
    rng = random.Random(f"{seed}:{repo}")
    authors = [(n, f"{h}@consultancy.example") for n, h in AUTHORS[team]]
    start = now - timedelta(weeks=weeks)
    commits: list[Commit] = [Commit(start - timedelta(days=40), f"Initial {repo} skeleton", authors[0])]
    releases: list[Release] = []
    sprints = sprint_releases(team, (start - timedelta(days=14)).date(), now.date())
    prev_day = (start - timedelta(days=14)).date()
    for number, day in sprints:
        # feature work between the previous release and this one
        span = max(1, (day - prev_day).days)
        for _ in range(rng.randint(2, 5)):
            when = _at(prev_day + timedelta(days=rng.randrange(span)), rng.randint(9, 17), rng.randrange(60))
            if start - timedelta(days=14) < when < now:
                commits.append(Commit(when, rng.choice(_FEATURES[team]), rng.choice(authors)))
        released = _at(day, 15, rng.randrange(0, 50))
        minor = number + 1
        if start <= released <= now - timedelta(hours=1):
            commit = Commit(released - timedelta(minutes=rng.randint(30, 120)), f"release: sprint {number} v1.{minor}.0",
                            rng.choice(authors))
            commits.append(commit)
            releases.append(Release(repo, f"v1.{minor}.0", "sprint-end", released, commit))
        # maybe a hotfix early in the next sprint: clearly off-cycle (days 2-7 of the sprint, weekdays,
        # far from both the release day and the sprint boundary)
        if rng.random() < HOTFIX_RATE[team]:
            next_start = SPRINTS[team]["anchor"] + timedelta(days=(number + 1) * SPRINTS[team]["length_days"])
            hot_day = next_start + timedelta(days=rng.choice(HOTFIX_SPRINT_DAYS))
            hot = _at(hot_day, rng.randint(10, 17), rng.randrange(60))
            if start <= hot <= now - timedelta(hours=1):
                commit = Commit(hot - timedelta(minutes=rng.randint(40, 240)),
                                f"hotfix: {rng.choice(_HOTFIXES[team])}", rng.choice(authors))
                commits.append(commit)
                releases.append(Release(repo, f"v1.{minor}.1", "hotfix", hot, commit))
        prev_day = day
    commits.sort(key=lambda c: c.when)
    releases.sort(key=lambda r: r.released_at)
    return RepoPlan(repo, team, commits, releases)


def plan_releases(model: FleetModel, now: datetime, weeks: int) -> dict[str, RepoPlan]:
    """Every repository's plan, including the unmatched `legacy-admin` source (never generated)."""
    repos = {**{r: REPO_TEAM[r] for r in ALL_REPOS}, UNMATCHED_REPO: "web"}
    return {r: plan_repo(r, team, seed=model.seed, now=now, weeks=weeks) for r, team in repos.items()}


_FEATURES = {
    "web": ["Add product filters", "Checkout: show delivery slots", "Upgrade Express to 4.21",
            "Cache catalogue responses", "Accessibility fixes on the basket page", "Refactor session handling"],
    "data": ["Parse the new partner feed format", "Batch writes to the events table", "Add daily report endpoint",
             "Upgrade boto3", "Retry throttled S3 reads"],
    "java": ["Invoice PDF layout", "Add claims search by policy", "Upgrade Spring Boot to 3.3",
             "Connection pool tuning", "New VAT rules for 2026"],
    "ops": ["Update landing page copy", "Add status page", "Rotate banner images"],
}
_HOTFIXES = {
    "web": ["checkout crash on empty basket", "wrong currency on invoices page", "session cookie domain"],
    "data": ["feed parser chokes on BOM", "timezone in daily report"],
    "java": ["null VAT rate for old invoices", "claims search timeout", "connection leak"],
    "ops": ["broken link in footer"],
}
