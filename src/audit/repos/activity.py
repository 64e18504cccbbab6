"""Delivery signals from git history: recent commits and authors, release tags and their kind.

A release tag is classified against the team's sprint calendar (survey `sprint:`) by the one rule
of `audit.sprints` (the analysis classifies deploys with it too): a tag in a sprint's release
window is a `sprint-end` release; a tag named like a hotfix, or cut off-cycle, is a `hotfix`;
without a calendar the kind is `other` (unknown, not guessed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit.config import SprintCalendar
from audit.repos.sources import git
from audit.sprints import is_sprint_end

FOLLOWS_CALENDAR_SHARE = 0.75
HOTFIX_NAME = re.compile(r"(?i)hot-?fix|patch-|emergency")


@dataclass(frozen=True)
class Signals:
    last_commit_at: datetime | None
    commits_90d: int
    authors_90d: int


def _ts(text: str) -> datetime | None:
    text = text.strip()
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def commit_signals(git_dir: Path, rev: str, *, now: datetime | None = None, days: int = 90) -> Signals:
    """Last commit date, and commits/distinct author emails in the `days` before `now`."""
    now = now or datetime.now(UTC)
    last = git(["log", "-1", "--format=%cI", rev], cwd=git_dir).stdout.decode()
    since = (now - timedelta(days=days)).isoformat()
    log = git(["log", f"--since={since}", "--format=%ae", rev], cwd=git_dir).stdout.decode().splitlines()
    return Signals(_ts(last), len(log), len({a.strip().lower() for a in log if a.strip()}))


def tags(git_dir: Path) -> list[tuple[str, str, datetime | None]]:
    """(tag, commit, tagged_at) for every tag; annotated tags use the tagger date."""
    fmt = "%(refname:short)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)"
    proc = git(["for-each-ref", f"--format={fmt}", "refs/tags"], cwd=git_dir)
    out = []
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split("\0")
        if len(parts) != 4:
            continue
        name, obj, peeled, when = parts
        out.append((name, peeled or obj, _ts(when)))
    return out


def release_kind(tag: str, tagged_at: datetime | None, calendar: SprintCalendar | None) -> str:
    if HOTFIX_NAME.search(tag):
        return "hotfix"
    if calendar is None or tagged_at is None:
        return "other"
    return "sprint-end" if is_sprint_end(tagged_at.astimezone(UTC).date(), calendar) else "hotfix"


def follows_calendar(kinds: list[str]) -> bool | None:
    """Most releases land at sprint end; None when unknown (no calendar or no tags)."""
    known = [k for k in kinds if k != "other"]
    if not known:
        return None
    return sum(k == "sprint-end" for k in known) / len(known) >= FOLLOWS_CALENDAR_SHARE
