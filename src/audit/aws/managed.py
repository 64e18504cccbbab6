"""Cross-collector facts computed once an account is fully crawled.

`managed_by`: the owning CloudFormation stack of every resource row, from `stack_resources`,
matched on resource type AND physical id (an ECR repository and a Lambda function may share a
name). Global resources (IAM, S3, CloudFront) match stacks of any region of the account. The
types and scopes come from the table declarations (`store.schema.RESOURCE_TYPES`); this is the
only place `managed_by` is decided (the analysis reads it, it never guesses).
A resource of a nested stack is managed by its root stack (`stacks.root_stack`): the root is what
is deployed, and the nested stack is not a unit of its own (its own row says `root_stack`).
`used_for_rollback`: alarms referenced by a CodeDeploy group's or an ECS service's rollback alarms
(same region).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import arn_tail
from audit.store.schema import GLOBAL_TABLES, RESOURCE_TYPES


def _ids(row: Mapping[str, Any]) -> set[str]:
    """The values a stack's physical id may take for this row: name, ARN, or the ARN's last part
    (after the last '/', e.g. a StackSet's `name:uuid`, an API's id; or after the last ':')."""
    arn = str(row.get("arn") or "")
    ids = {str(row.get("name") or ""), arn, arn.rsplit("/", 1)[-1], arn_tail(arn)}
    return {i for i in ids if i}


def fill_managed_by(tables: dict[str, list[dict[str, Any]]]) -> None:
    """Set `managed_by` in place on every resource row of one account."""
    root = {(s["region"], s["name"]): s["root_stack"] for s in tables.get("stacks", []) if s.get("root_stack")}
    owners: dict[tuple[str, str, str], str] = {}  # (region, type, physical id) -> stack
    for r in tables.get("stack_resources", []):
        if r.get("physical_id"):
            stack = root.get((r["region"], r["stack_name"]), r["stack_name"])
            owners[(r["region"], r["resource_type"], r["physical_id"])] = stack
            owners.setdefault(("*", r["resource_type"], r["physical_id"]), stack)
    if not owners:
        return
    for table, kind in RESOURCE_TYPES.items():
        types = kind.cfn_types
        for row in tables.get(table, []):
            region = "*" if table in GLOBAL_TABLES else row["region"]
            ids = _ids(row)
            row["managed_by"] = next((owners[(region, t, i)] for t in types for i in ids
                                      if (region, t, i) in owners), None)


def fill_rollback_alarms(tables: dict[str, list[dict[str, Any]]]) -> None:
    """Mark alarms that a CodeDeploy group or an ECS service (alarms.rollback) uses for automatic rollback."""
    used = {(row["region"], a) for table in ("codedeploy_groups", "ecs_services") for row in tables.get(table, [])
            for a in row.get("rollback_alarms") or []}
    for alarm in tables.get("cloudwatch_alarms", []):
        alarm["used_for_rollback"] = (alarm["region"], alarm["name"]) in used


def fill_event_triggers(tables: dict[str, list[dict[str, Any]]]) -> None:
    """Add the EventBridge trigger to every pipeline an enabled rule starts (in place)."""
    started: dict[str, list[str]] = {}
    for rule in tables.get("pipeline_event_rules", []):
        if rule.get("state") and rule["state"] != "DISABLED":
            started.setdefault(rule["pipeline_arn"], []).append("schedule" if rule.get("schedule") else "eventbridge")
    for pipeline in tables.get("pipelines", []):
        extra = started.get(pipeline.get("arn") or "")
        if extra:
            pipeline["triggers"] = list(dict.fromkeys([*(pipeline.get("triggers") or []), *extra]))
