"""decisions.yaml: what each team-lead meeting picked, who owns it, and what became of it.

    meetings:
      - date: 2026-11-23
        picks:
          - item: pipeline-notifications   # a catalog item id
            owner: web                     # a team of accounts.yaml
            sprint: "24"                   # target sprint (optional)
            status: picked                 # picked | in-progress | done | dropped
            updated: 2026-11-30            # day of the last status change (`decide` sets it)

The report's "Picked last time" and the backlog's picked marks read it. `cicd-audit decide` edits it
(`record_decision`): round-trip YAML so comments and order stay, under a lock so two edits at once both
land, validated before an atomic rename so a bad edit writes nothing. Hand edits are checked by
`validate` like every config: items against catalog.yaml, owners against accounts.yaml (the files
beside it, when present).
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from audit.config.accounts import load_accounts
from audit.config.base import Located, Model, Name, validate_model
from audit.config.catalog import ItemId, load_catalog
from audit.errors import ConfigError
from audit.store.atomic import exclusive, fsync_dir, fsync_file
from audit.yamlfile import LocatedYaml, load_yaml

FILE = "decisions.yaml"
Status = Literal["picked", "in-progress", "done", "dropped"]
STATUSES: tuple[str, ...] = Status.__args__
OPEN: frozenset[str] = frozenset({"picked", "in-progress"})
Sprint = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\- ]*$")]
HEADER = """\
# What the team-lead meetings picked, who owns it, and what became of it.
# Edit with `cicd-audit decide ITEM --owner TEAM [--sprint S] [--status picked|in-progress|done|dropped]`
# or by hand; `cicd-audit validate` checks it. docs/decisions.md explains the fields.
"""


class Pick(Model):
    item: ItemId
    owner: Name
    sprint: Sprint | None = None
    status: Status = "picked"
    updated: date | None = Field(None, description="day of the last status change")
    note: str | None = Field(None, max_length=500)


class Meeting(Model):
    date: date
    picks: list[Pick] = Field(default_factory=list)

    @model_validator(mode="after")
    def _once_per_meeting(self) -> Meeting:
        seen: dict[str, int] = {}
        for i, pick in enumerate(self.picks):
            if pick.item in seen:
                raise Located(f"item {pick.item!r} is already picked at this meeting (picks[{seen[pick.item]}])",
                              ("picks", i, "item"))
            seen[pick.item] = i
            if pick.updated is not None and pick.updated < self.date:
                raise Located(f"updated {pick.updated} is before the meeting ({self.date})", ("picks", i, "updated"))
        return self


class Decisions(Model):
    meetings: list[Meeting] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_open_pick_per_item(self) -> Decisions:
        dates: dict[date, int] = {}
        open_at: dict[str, int] = {}
        for m, meeting in enumerate(self.meetings):
            if meeting.date in dates:
                raise Located(f"a meeting on {meeting.date} is already recorded (meetings[{dates[meeting.date]}])",
                              ("meetings", m, "date"))
            dates[meeting.date] = m
            for p, pick in enumerate(meeting.picks):
                if pick.status in OPEN and pick.item in open_at:
                    raise Located(f"item {pick.item!r} is still open from meetings[{open_at[pick.item]}]: "
                                  "close that pick (done or dropped) before picking it again",
                                  ("meetings", m, "picks", p, "item"))
                if pick.status in OPEN:
                    open_at[pick.item] = m
        return self

    def picks(self) -> list[tuple[date, Pick]]:
        """Every pick with its meeting date, oldest meeting first."""
        return [(m.date, p) for m in sorted(self.meetings, key=lambda m: m.date) for p in m.picks]

    def latest(self, item: str) -> tuple[date, Pick] | None:
        """The newest pick of `item` (what its status is now), if it was ever picked."""
        found = [(day, p) for day, p in self.picks() if p.item == item]
        return found[-1] if found else None


@dataclass(frozen=True)
class References:
    """What picks may name: catalog item ids and teams (None: not checked, the file is not there)."""

    items: frozenset[str] | None = None
    teams: frozenset[str] | None = None

    @classmethod
    def beside(cls, path: str | os.PathLike) -> References:
        """Item ids of catalog.yaml and teams of accounts.yaml in the decisions file's directory."""
        folder = Path(path).parent
        items = teams = None
        if (folder / "catalog.yaml").is_file():
            items = frozenset(i.id for i in load_catalog(folder / "catalog.yaml", check_sql=False).items)
        if (folder / "accounts.yaml").is_file():
            accounts = load_accounts(folder / "accounts.yaml")
            if accounts.discover is None:  # discovered clients get their teams from tags: not known here
                teams = frozenset(t for c in accounts.clients for t in c.teams)
        return cls(items, teams)

    def check_names(self, file: str, item: str, owner: str | None) -> None:
        """An edit's item and owner, before anything is changed."""
        if self.items is not None and item not in self.items:
            raise ConfigError(f"unknown item {item!r}: not in catalog.yaml (items: {', '.join(sorted(self.items))})",
                              file=file, field="item")
        if self.teams is not None and owner is not None and owner not in self.teams:
            raise ConfigError(f"unknown team {owner!r}: no client in accounts.yaml is served by it "
                              f"(teams: {', '.join(sorted(self.teams))})", file=file, field="owner")

    def check(self, decisions: Decisions, doc: LocatedYaml) -> None:
        for m, meeting in enumerate(decisions.meetings):
            for p, pick in enumerate(meeting.picks):
                where = ("meetings", m, "picks", p)
                if self.items is not None and pick.item not in self.items:
                    raise ConfigError(f"unknown item {pick.item!r}: not in catalog.yaml", file=doc.file,
                                      line=doc.line_of((*where, "item")), field=f"meetings[{m}].picks[{p}].item")
                if self.teams is not None and pick.owner not in self.teams:
                    raise ConfigError(f"unknown team {pick.owner!r}: no client in accounts.yaml is served by it "
                                      f"(teams: {', '.join(sorted(self.teams))})", file=doc.file,
                                      line=doc.line_of((*where, "owner")), field=f"meetings[{m}].picks[{p}].owner")


def load_decisions(path: str | os.PathLike, refs: References | None = None) -> Decisions:
    """decisions.yaml validated, its items and owners checked against the configs beside it."""
    doc = load_yaml(path)
    decisions = validate_model(Decisions, doc)
    (refs if refs is not None else References.beside(path)).check(decisions, doc)
    return decisions


def _yaml() -> YAML:
    rt = YAML()  # round-trip: comments, key order and quoting survive the edit
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.width = 110
    return rt


def _edit(text: str, file: str, item: str, day: date, owner: str | None, sprint: str | None,
          status: str | None, note: str | None) -> tuple[str, str]:
    """The edited text and a one-line summary of what changed."""
    rt = _yaml()
    try:
        data = rt.load(text) if text.strip() else None
    except YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    if data is None:
        data = CommentedMap()
    meetings = data.setdefault("meetings", CommentedSeq())
    current = None
    for meeting in meetings:
        for pick in meeting.get("picks") or []:
            if pick.get("item") == item and pick.get("status", "picked") in OPEN:
                current = (meeting, pick)
    if current is not None and status is None and owner is None and sprint is None and note is None:
        raise ConfigError(f"{item!r} is already picked (meeting {current[0]['date']}): give --status, --owner, "
                          "--sprint or --note to change it", file=file)
    if current is None:
        if owner is None:
            raise ConfigError(f"{item!r} has no open pick: --owner TEAM is needed to pick it", file=file)
        meeting = next((m for m in meetings if str(m.get("date")) == day.isoformat()), None)
        if meeting is None:
            meeting = CommentedMap(date=day, picks=CommentedSeq())
            meetings.append(meeting)
        pick = CommentedMap(item=item, owner=owner)
        meeting.setdefault("picks", CommentedSeq()).append(pick)
        what = f"picked at the meeting of {meeting['date']}"
        if status is not None and status != "picked":
            pick["status"], pick["updated"] = status, day
            what += f", status {status}"
    else:
        meeting, pick = current
        what = f"pick of {meeting['date']}"
        if status is not None and status != pick.get("status", "picked"):
            pick["status"], pick["updated"] = status, day
            what += f": status {status}"
        if owner is not None:
            pick["owner"] = owner
    if sprint is not None:
        pick["sprint"] = sprint
    if note is not None:
        pick["note"] = note
    out = io.StringIO()
    if not text.strip():
        out.write(HEADER)
    rt.dump(data, out)
    who = f", owner {pick['owner']}" + (f", sprint {pick['sprint']}" if pick.get("sprint") else "")
    return out.getvalue(), f"{item}: {what}{who}"


def record_decision(path: str | os.PathLike, item: str, *, day: date, owner: str | None = None,
                    sprint: str | None = None, status: str | None = None, note: str | None = None,
                    refs: References | None = None) -> str:
    """Pick `item` (or change its open pick) in decisions.yaml; returns what changed, in one line.

    The whole edit runs under an exclusive lock on the file's directory, so concurrent `decide` runs
    serialise; the result is validated (schema, catalog items, teams) before it replaces the file by an
    atomic rename, so a refused edit, a malformed file or a crash leaves the old file as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    refs = refs if refs is not None else References.beside(target)
    refs.check_names(str(target), item, owner)
    with exclusive(target.parent):
        text = ""
        if target.exists():
            load_decisions(target, refs)  # never edit a file that is already wrong: say where
            text = target.read_text(encoding="utf-8")
        new_text, summary = _edit(text, str(target), item, day, owner, sprint, status, note)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(new_text)
            try:
                load_decisions(tmp, refs)
            except ConfigError as exc:  # name the real file, not the temporary one
                raise ConfigError(str(exc).replace(tmp, str(target))) from None
            fsync_file(Path(tmp))
            os.replace(tmp, target)
            fsync_dir(target.parent)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return summary
