"""EventBridge: the rules that start pipelines, which the CodePipeline API does not show.

CodeCommit, S3 and ECR source actions are started by an EventBridge rule targeting the pipeline's ARN
(the console and CloudFormation create one per pipeline; `PollForSourceChanges` is then false), and
a scheduled rule can start any pipeline. ListRules pages the default event bus (where AWS services
send their events); ListTargetsByRule reads each rule's targets, except for rules another service
manages (`ManagedBy`). One row per rule and pipeline target; once the account is crawled the
pipelines such a rule starts get the trigger (aws/managed.py `fill_event_triggers`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import Collector, Ctx, Rows, arn_tail, operations, pages


def get_rules(ctx: Ctx) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(rule, its targets) per rule of the default bus; a rule whose targets fail loses its rows only."""
    events = ctx.client("events")
    rules = [r for r in pages(events, "list_rules", "Rules") if not r.get("ManagedBy")]
    return ctx.each("ListTargetsByRule", rules,
                    lambda r: (r, pages(events, "list_targets_by_rule", "Targets", Rule=r["Name"])))


def _values(pattern: Mapping[str, Any], key: str) -> list[str]:
    value = pattern.get(key)
    return [str(v) for v in (value if isinstance(value, list) else [value] if value else [])]


def pattern_summary(pattern: str | None) -> tuple[list[str], list[str]]:
    """An event pattern's `source` and `detail-type` values (pure; a pattern that is not JSON: none)."""
    try:
        parsed = json.loads(pattern) if pattern else {}
    except ValueError:
        parsed = {}
    if not isinstance(parsed, dict):
        return [], []
    return _values(parsed, "source"), _values(parsed, "detail-type")


def transform(rules: list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]], ctx: Ctx) -> Rows:
    rows = []
    for rule, targets in rules:
        sources, detail_types = pattern_summary(rule.get("EventPattern"))
        for target in targets:
            arn = str(target.get("Arn") or "")
            if arn.split(":")[2:3] != ["codepipeline"]:
                continue
            rows.append({**ctx.where, "rule_name": rule["Name"], "rule_arn": rule.get("Arn"),
                         "state": rule.get("State"), "event_sources": sources, "detail_types": detail_types,
                         "schedule": rule.get("ScheduleExpression"), "pipeline_name": arn_tail(arn),
                         "pipeline_arn": arn})
    return {"pipeline_event_rules": rows}


def collect(ctx: Ctx) -> Rows:
    return transform(get_rules(ctx), ctx)


COLLECTOR = Collector("eventbridge", collect, ("pipeline_event_rules",),
                      operations("events", "ListRules", "ListTargetsByRule"))
