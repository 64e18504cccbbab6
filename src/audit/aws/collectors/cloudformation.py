"""CloudFormation: stacks (with the tool that made each, and their nesting), their resources, and StackSets.

`stack_resources` is what the crawler matches every other resource against to fill `managed_by`
(resource type AND physical id), because stack-name tags are not always present.

Fewer calls, same rows: a stack whose LastUpdatedTime (CreationTime when never updated) has not
moved since the previous snapshot has the same template and resources, so its `stack_resources`
rows and its template's verdict on the tool are copied from that snapshot (`Ctx.previous`) instead
of calling ListStackResources and GetTemplate again. Nothing is copied for an account and region
whose previous CloudFormation crawl had errors (a failed call there may have lost rows). A stack
whose name, tags or outputs already decide its tool (`decided_without_template`) is never asked for
its template.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import takewhile
from typing import Any, Literal

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, pages, resource_row

# ---- which tool made a stack: one table of rules (docs/crawler.md shows it) -----------------------

Where = Literal["name", "tag-key", "output", "template"]


@dataclass(frozen=True)
class ToolRule:
    """`tool` made the stack when `pattern` (a regex, searched) matches the stack's `where`:
    its name, one of its tag keys, one of its output keys, or its template's text."""

    tool: str
    where: Where
    pattern: str


# First match wins; a stack no rule matches is plain `cloudformation`. Sources: each tool's docs
# (Elastic Beanstalk names its stacks awseb-e-<id>-stack; StackSets name instance stacks
# StackSet-<set>-<uuid>; eksctl tags alpha.eksctl.io/*; Copilot tags copilot-*; Amplify names
# stacks amplify-*; CDK adds the CDKMetadata resource and aws:cdk:path metadata; SAM templates
# carry Transform AWS::Serverless-*; the Serverless Framework creates ServerlessDeploymentBucket).
IAC_TOOL_RULES: tuple[ToolRule, ...] = (
    ToolRule("beanstalk", "name", r"^awseb-e-"),
    ToolRule("beanstalk", "tag-key", r"^elasticbeanstalk:environment-(name|id)$"),
    ToolRule("stackset", "name", r"^StackSet-"),
    ToolRule("eksctl", "name", r"^eksctl-"),
    ToolRule("eksctl", "tag-key", r"^(alpha\.eksctl\.io/|eksctl\.cluster\.k8s\.io/)"),
    ToolRule("copilot", "tag-key", r"^copilot-"),
    ToolRule("amplify", "name", r"^amplify-"),
    ToolRule("amplify", "tag-key", r"^(amplify-app-id$|user:Stack)"),
    ToolRule("serverless-framework", "output", r"^ServerlessDeploymentBucketName$"),
    ToolRule("serverless-framework", "template", r"ServerlessDeploymentBucket"),
    ToolRule("cdk", "template", r"AWS::CDK::Metadata|aws:cdk:path|BootstrapVersion"),
    ToolRule("sam", "template", r"AWS::Serverless"),
)
DEFAULT_TOOL = "cloudformation"
IAC_TOOLS: tuple[str, ...] = (DEFAULT_TOOL, *dict.fromkeys(r.tool for r in IAC_TOOL_RULES))


def _stack_texts(stack: Mapping[str, Any], where: Where) -> list[str]:
    if where == "name":
        return [str(stack["StackName"])]
    if where == "tag-key":
        return [str(t["Key"]) for t in stack.get("Tags") or []]
    return [str(o.get("OutputKey")) for o in stack.get("Outputs") or []]


def template_tool(template: Any) -> str:
    """The first template rule's tool that matches the template's text, else `cloudformation` (pure)."""
    text = template if isinstance(template, str) else json.dumps(template or {})
    return next((r.tool for r in IAC_TOOL_RULES if r.where == "template" and re.search(r.pattern, text)),
                DEFAULT_TOOL)


def _matches(rule: ToolRule, stack: Mapping[str, Any], from_template: str | None) -> bool:
    if rule.where == "template":
        return rule.tool == from_template
    return any(re.search(rule.pattern, t) for t in _stack_texts(stack, rule.where))


def decide_tool(stack: Mapping[str, Any], from_template: str | None) -> str:
    """IAC_TOOL_RULES in order over the stack's name, tags and outputs and the template's verdict
    (`template_tool`, kept in the snapshot so an unchanged stack's template need not be re-read)."""
    return next((r.tool for r in IAC_TOOL_RULES if _matches(r, stack, from_template)), DEFAULT_TOOL)


def decided_without_template(stack: Mapping[str, Any]) -> str | None:
    """The tool when a name, tag or output rule ahead of every template rule matches (Beanstalk,
    StackSet instances, eksctl, Copilot, Amplify, the Serverless Framework's output): the template
    cannot change decide_tool's answer then, so GetTemplate is not called. None otherwise (pure)."""
    ahead = takewhile(lambda r: r.where != "template", IAC_TOOL_RULES)
    return next((r.tool for r in ahead if _matches(r, stack, None)), None)


def iac_tool(stack: Mapping[str, Any], template: Any) -> str:
    """The tool that made the stack (pure)."""
    return decide_tool(stack, template_tool(template))


# ---- get ---------------------------------------------------------------------------------------


def changed_at(stack: Mapping[str, Any]) -> datetime | None:
    """When the stack last changed: LastUpdatedTime, or CreationTime when it was never updated."""
    return stack.get("LastUpdatedTime") or stack.get("CreationTime")


def _reusable(ctx: Ctx) -> dict[str, dict[str, Any]]:
    """Previous snapshot's stack rows by stack id, with their resource rows, when that crawl of this
    account and region had no CloudFormation error."""
    if any(e.get("collector") == "cloudformation" for e in ctx.previous.get("errors", [])):
        return {}
    resources: dict[str, list[dict[str, Any]]] = {}
    for r in ctx.previous.get("stack_resources", []):
        resources.setdefault(r["stack_name"], []).append(r)
    out = {}
    for row in ctx.previous.get("stacks", []):
        rows = resources.get(row["name"], [])
        if row.get("arn") and len(rows) == (row.get("resource_count") or 0):
            out[row["arn"]] = {**row, "__resources": rows}
    return out


def get_stacks(ctx: Ctx) -> dict[str, Any]:
    cfn = ctx.client("cloudformation")
    listed = ctx.soft("DescribeStacks", pages, cfn, "describe_stacks", "Stacks", default=[])  # StackSets go on
    stacks = [s for s in listed if s.get("StackStatus") != "DELETE_COMPLETE"]
    before = _reusable(ctx)
    for stack in stacks:
        name = stack["StackName"]
        prev = before.get(stack["StackId"])
        decided = decided_without_template(stack)
        if (prev is not None and prev["name"] == name and prev.get("last_updated") == changed_at(stack)
                and (prev.get("template_tool") or decided)):
            stack["__copied"] = prev["__resources"]
            stack["__template_tool"] = prev.get("template_tool")
            continue
        stack["__copied"] = None  # read afresh (the key is ours, set on every stack)
        stack["__resources"] = ctx.soft("ListStackResources", pages, cfn, "list_stack_resources",
                                        "StackResourceSummaries", StackName=name, default=[])
        if decided is None:
            stack["__template"] = ctx.soft("GetTemplate", lambda n=name: cfn.get_template(StackName=n)
                                           .get("TemplateBody"), default=None)
    sets = ctx.soft("ListStackSets", pages, cfn, "list_stack_sets", "Summaries", Status="ACTIVE", default=[])
    for summary in sets:
        name = summary["StackSetName"]
        summary["__detail"] = ctx.soft("DescribeStackSet", lambda n=name: cfn.describe_stack_set(StackSetName=n)
                                       ["StackSet"], default={})
        summary["__instances"] = ctx.soft("ListStackInstances", pages, cfn, "list_stack_instances", "Summaries",
                                          StackSetName=name, default=[])
    return {"stacks": stacks, "stacksets": sets}


# ---- transform (pure) --------------------------------------------------------------------------


def stack_name_of(stack_id: str | None) -> str | None:
    """The name inside a stack id (arn:...:stack/<name>/<uuid>), as ParentId/RootId give them."""
    if not stack_id:
        return None
    parts = str(stack_id).split(":stack/", 1)
    return parts[1].split("/", 1)[0] if len(parts) == 2 else str(stack_id)


def transform(raw: Mapping[str, Any], ctx: Ctx) -> Rows:
    stacks, resources, sets = [], [], []
    for s in raw["stacks"]:
        drift = (s.get("DriftInformation") or {}).get("StackDriftStatus")
        if s.get("__copied") is not None:
            listed = [{**r, **ctx.where} for r in s["__copied"]]
            from_template = s.get("__template_tool")
        else:
            listed = [{**ctx.where, "stack_name": s["StackName"], "logical_id": r["LogicalResourceId"],
                       "physical_id": r.get("PhysicalResourceId"), "resource_type": r["ResourceType"],
                       "status": r.get("ResourceStatus")}
                      for r in s.get("__resources") or []
                      if r.get("ResourceType")]  # emulators list resources they could not create, untyped
            from_template = None if decided_without_template(s) else template_tool(s.get("__template"))
        stacks.append(resource_row(
            ctx, s["StackId"], s["StackName"], s.get("Tags"),
            status=s["StackStatus"], iac_tool=decide_tool(s, from_template), template_tool=from_template,
            created=s.get("CreationTime"), last_updated=changed_at(s), resource_count=len(listed),
            drift_status=drift, termination_protection=bool(s.get("EnableTerminationProtection")),
            parent_stack=stack_name_of(s.get("ParentId")), root_stack=stack_name_of(s.get("RootId")),
        ))
        resources += listed
    for summary in raw["stacksets"]:
        detail = summary.get("__detail") or {}
        # a StackSet's id is already `name:uuid`: the ARN is .../stackset/<StackSetId> (REAL_AWS_NOTES)
        arn = detail.get("StackSetARN") or ctx.arn(
            "cloudformation", f"stackset/{summary.get('StackSetId') or summary['StackSetName']}")
        sets.append(resource_row(ctx, arn, summary["StackSetName"], detail.get("Tags"), status=summary.get("Status"),
                                 permission_model=summary.get("PermissionModel") or detail.get("PermissionModel"),
                                 instance_count=len(summary.get("__instances") or [])))
    return {"stacks": stacks, "stack_resources": resources, "stacksets": sets}


def collect(ctx: Ctx) -> Rows:
    return transform(get_stacks(ctx), ctx)


COLLECTOR = Collector(
    "cloudformation", collect, ("stacks", "stack_resources", "stacksets"),
    operations("cloudformation", "DescribeStacks", "ListStackResources", "GetTemplate", "ListStackSets",
               "DescribeStackSet", "ListStackInstances"),
    reuses=("errors", "stack_resources", "stacks"),
)
