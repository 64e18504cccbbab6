"""Two earlier weeks for the demo, so its report shows what the weekly run is for: what changed, and
what became of what the meeting picked.

Before the real run, the demo records the fleet as it was fourteen and seven days ago (snapshots dated
then, crawled without the client that was onboarded this week and with history up to each day), each
analysed as that week's run would have been, with that week's meeting in decisions.yaml: two weeks ago
the meeting picks the top item, last week it marks that item done and picks the next one. Then it
applies what this week brings: the new client's account appears, and one web pipeline gains a manual
approval gate. The weekly run that follows compares against last week's snapshot and follows up the
picks exactly as it would in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from audit import pipeline
from audit.config.decisions import FILE as DECISIONS_FILE
from audit.config.decisions import record_decision
from audit.demo.fleet import Fleet
from audit.demo.model import ClientSpec
from audit.demo.seed import Clients, act_as
from audit.options import AnalyzeOptions, CrawlOptions, ScanOptions
from audit.pipeline import Inputs
from audit.store.snapshots import open_snapshot


@dataclass(frozen=True)
class WeekOfChange:
    """What the demo changed between last week's snapshot and this week's, and what the meetings picked."""

    last_week: str
    onboarded: str | None  # client absent from last week's crawl
    gated_pipeline: str | None  # "client/pipeline" that gained a manual approval
    weeks: tuple[str, ...] = ()  # the earlier snapshots recorded, oldest first
    done: str | None = None  # item picked two weeks ago and done last week
    picked: str | None = None  # item picked last week, in progress


def week_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=7)).isoformat()


def _healthy(fleet: Fleet) -> list[ClientSpec]:
    denied = set(fleet.model.assume_role_denied) | {acct for acct, _, _ in fleet.model.denied}
    return [c for c in fleet.model.clients if c.account_id not in denied]


def newest_client(fleet: Fleet) -> ClientSpec | None:
    """The client 'onboarded this week': the last healthy one, if the fleet has more than four."""
    healthy = _healthy(fleet)
    return healthy[-1] if len(fleet.model.clients) > 4 and healthy else None


def add_approval_gate(fleet: Fleet, *, skip: str | None = None) -> str | None:
    """Insert a manual approval before the deploy stage of one rolling web pipeline that has none."""
    for spec in _healthy(fleet):
        app = spec.web
        if app is None or app.manual_approval or app.blue_green or spec.name == skip:
            continue
        act_as(spec.account_id)
        client = Clients(fleet.endpoint_url)("codepipeline", spec.home_region)
        names = [p["name"] for p in client.list_pipelines()["pipelines"]]
        name = next((n for n in names if app.repo in n), None)
        if name is None:
            continue
        definition = client.get_pipeline(name=name)["pipeline"]
        gate = {"name": "Approve", "actions": [{
            "name": "Approve", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual",
                                                "version": "1"},
            "configuration": {"CustomData": "Release to production?"}, "runOrder": 1}]}
        definition["stages"].insert(len(definition["stages"]) - 1, gate)
        client.update_pipeline(pipeline=definition)
        return f"{spec.name}/{name}"
    return None


def _meeting(inputs: Inputs, inventory: Path, day: str, exclude: set[str]) -> tuple[str, str] | None:
    """The week's meeting picks the best-ranked item not already picked: (item, owner team)."""
    ranking = open_snapshot(inventory, day).table("ranking").sort_values("rank", kind="stable")
    known = {t for c in inputs.accounts.clients for t in c.teams}
    for row in ranking.itertuples():
        owners = [t for t in row.team_list if t in known] if row.team_list is not None else []
        if row.item_id not in exclude and owners:
            return row.item_id, owners[0]
    return None


def record_last_week(fleet: Fleet, inputs: Inputs, inventory: Path, day: str, *,
                     progress: bool = True) -> WeekOfChange:
    """Record two weeks ago and last week with the weekly pipeline's own verbs (their dates, without this
    week's client, history up to each day), analyse each and hold its meeting; then apply this week's
    changes."""
    last_week = week_before(day)
    weeks = (week_before(last_week), last_week)
    onboarded = newest_client(fleet)
    only = tuple(c.account_id for c in inputs.accounts.clients if onboarded is None or c.name != onboarded.name)
    decisions = inputs.config_dir / DECISIONS_FILE
    done = picked = None
    for week in weeks:
        until = datetime.combine(date.fromisoformat(week) + timedelta(days=1), time(), UTC)
        pipeline.crawl(inputs, inventory, CrawlOptions(day=week, endpoint_url=fleet.endpoint_url, accounts_only=only,
                                                       history_until=until, progress=progress))
        pipeline.scan(inputs, inventory, ScanOptions(day=week, base_dir=fleet.out, progress=progress))
        inputs = Inputs.load(inputs.config_dir)  # with the decisions recorded so far
        pipeline.analyze(inputs, inventory, week, AnalyzeOptions())
        meeting = date.fromisoformat(week)
        if done is not None:
            record_decision(decisions, done, day=meeting, status="done")
        pick = _meeting(inputs, inventory, week, {done} if done else set())
        if pick is not None:
            record_decision(decisions, pick[0], day=meeting, owner=pick[1], sprint=f"week of {week}")
            done, picked = (pick[0], None) if done is None else (done, pick[0])
    gated = add_approval_gate(fleet, skip=onboarded.name if onboarded else None)
    return WeekOfChange(last_week, onboarded.name if onboarded else None, gated, weeks, done, picked)
