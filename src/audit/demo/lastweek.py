"""A week of change for the demo, so its report shows what the weekly run is for: what changed.

Before the real run, the demo records the fleet as it was seven days ago (a snapshot dated then,
crawled without the client that was onboarded this week and with history up to that day), then applies what a week brings: that
client's account appears, and one web pipeline gains a manual approval gate. The weekly run that
follows compares against last week's snapshot exactly as it would in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from audit import pipeline
from audit.demo.fleet import Fleet
from audit.demo.model import ClientSpec
from audit.demo.seed import Clients, act_as
from audit.options import CrawlOptions, ScanOptions
from audit.pipeline import Inputs


@dataclass(frozen=True)
class WeekOfChange:
    """What the demo changed between last week's snapshot and this week's."""

    last_week: str
    onboarded: str | None  # client absent from last week's crawl
    gated_pipeline: str | None  # "client/pipeline" that gained a manual approval


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


def record_last_week(fleet: Fleet, inputs: Inputs, inventory: Path, day: str, *,
                     progress: bool = True) -> WeekOfChange:
    """Crawl and scan the fleet as last week's snapshot (the weekly pipeline's own verbs, with last
    week's date, without this week's client and with history up to then), then apply this week's changes."""
    last_week = week_before(day)
    onboarded = newest_client(fleet)
    only = tuple(c.account_id for c in inputs.accounts.clients if onboarded is None or c.name != onboarded.name)
    end_of_last_week = datetime.combine(date.fromisoformat(last_week) + timedelta(days=1), time(), UTC)
    pipeline.crawl(inputs, inventory, CrawlOptions(day=last_week, endpoint_url=fleet.endpoint_url, accounts_only=only,
                                                   history_until=end_of_last_week, progress=progress))
    pipeline.scan(inputs, inventory, ScanOptions(day=last_week, base_dir=fleet.out, progress=progress))
    gated = add_approval_gate(fleet, skip=onboarded.name if onboarded else None)
    return WeekOfChange(last_week, onboarded.name if onboarded else None, gated)
