"""CloudFormation: stacks (with the IaC tool behind each), their resources, and StackSets.

`stack_resources` is what the crawler matches every other resource against to fill `managed_by`
(resource type AND physical id), because stack-name tags are not always present.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, pages, resource_row


def get_stacks(ctx: Ctx) -> dict[str, Any]:
    cfn = ctx.client("cloudformation")
    listed = ctx.soft("DescribeStacks", pages, cfn, "describe_stacks", "Stacks", default=[])  # StackSets go on
    stacks = [s for s in listed if s.get("StackStatus") != "DELETE_COMPLETE"]
    for stack in stacks:
        name = stack["StackName"]
        stack["__resources"] = ctx.soft("ListStackResources", pages, cfn, "list_stack_resources",
                                        "StackResourceSummaries", StackName=name, default=[])
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


def iac_tool(stack: Mapping[str, Any], template: Any) -> str:
    """cloudformation | sam | cdk | serverless-framework | copilot | amplify (pure)."""
    tags = {t["Key"]: t["Value"] for t in stack.get("Tags", []) or []}
    name = stack["StackName"]
    if any(k.startswith("copilot-") for k in tags):
        return "copilot"
    if name.startswith("amplify-") or any(k.startswith("user:Stack") or k == "amplify-app-id" for k in tags):
        return "amplify"
    text = template if isinstance(template, str) else json.dumps(template or {})
    outputs = {o.get("OutputKey") for o in stack.get("Outputs", []) or []}
    if "ServerlessDeploymentBucket" in text or "ServerlessDeploymentBucketName" in outputs:
        return "serverless-framework"
    if "AWS::CDK::Metadata" in text or "aws:cdk:path" in text or "BootstrapVersion" in text:
        return "cdk"
    if "AWS::Serverless" in text:
        return "sam"
    return "cloudformation"


def transform(raw: Mapping[str, Any], ctx: Ctx) -> Rows:
    stacks, resources, sets = [], [], []
    for s in raw["stacks"]:
        drift = (s.get("DriftInformation") or {}).get("StackDriftStatus")
        stacks.append(resource_row(
            ctx, s["StackId"], s["StackName"], s.get("Tags"),
            status=s["StackStatus"], iac_tool=iac_tool(s, s.get("__template")),
            created=s.get("CreationTime"), last_updated=s.get("LastUpdatedTime") or s.get("CreationTime"),
            resource_count=sum(1 for r in s.get("__resources") or [] if r.get("ResourceType")), drift_status=drift,
            termination_protection=bool(s.get("EnableTerminationProtection")),
        ))
        for r in s.get("__resources") or []:
            if not r.get("ResourceType"):  # emulators list resources they could not create, untyped
                continue
            resources.append({**ctx.where, "stack_name": s["StackName"], "logical_id": r["LogicalResourceId"],
                              "physical_id": r.get("PhysicalResourceId"), "resource_type": r["ResourceType"],
                              "status": r.get("ResourceStatus")})
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
)
