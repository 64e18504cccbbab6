"""The onboarding baseline every client account may have: the audit role, CI roles, the artifacts
bucket, alarms, the CDK bootstrap stack and the consultancy's StackSet (as the client's Baseline says)."""

from __future__ import annotations

import json
from typing import Any

from audit.demo import backend_fixes as fix
from audit.demo.model import AUDIT_ROLE, TOOLING_ACCOUNT, ClientSpec
from audit.demo.seed import GLOBAL, Ctx, artifacts_bucket, tag_list, tags, trust


def seed_baseline(ctx: Ctx) -> None:
    """The onboarding baseline: audit role always, the rest as the client's Baseline says."""
    spec, b = ctx.spec, ctx.spec.baseline
    ctx.role(AUDIT_ROLE, {"AWS": f"arn:aws:iam::{TOOLING_ACCOUNT}:root"}, "ops",
             condition={"StringEquals": {"sts:ExternalId": "consultancy-audit"}},
             description="Read-only audit role for cicd-audit")
    if b.github_oidc:
        iam = ctx.c("iam")
        arn = iam.create_open_id_connect_provider(
            Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
            Tags=tag_list(tags(spec, "ops")))["OpenIDConnectProviderArn"]
        ctx.out.add("iam_oidc_providers", GLOBAL)
        ctx.role("github-actions-deploy", {"Federated": arn}, "ops", condition={
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:consultancy/*:ref:refs/heads/main"}},
            description="CI deploy role for GitHub Actions (OIDC)")
    if b.artifacts_bucket:
        ctx.bucket(artifacts_bucket(spec), "ops")
    if b.ops_access_role:
        ctx.role("ConsultancyOpsAccess", {"AWS": f"arn:aws:iam::{TOOLING_ACCOUNT}:root"}, "ops",
                 description="Cross-account access for the consultancy's on-call engineers")
    if b.alarms:
        ctx.alarm("consultancy-root-login", "ops", namespace="CloudTrailMetrics", metric="RootLogin")
        ctx.alarm("consultancy-pipeline-failed", "ops", namespace="AWS/CodePipeline", metric="FailedExecutions")
        if "us-east-1" in ctx.model.regions:
            ctx.alarm("consultancy-billing-estimate", "ops", namespace="AWS/Billing",
                      metric="EstimatedCharges", region="us-east-1")
    if b.cdk_bootstrap:
        ctx.stack("CDKToolkit", cdk_bootstrap_template(spec), "ops")
        ctx.stack(f"{spec.name}-monitoring", cdk_app_template(spec), "ops")
    if spec.stackset:
        seed_stackset(ctx)


def cdk_bootstrap_template(spec: ClientSpec) -> dict[str, Any]:
    qualifier = "hnb659fds"
    return {
        "Description": "This stack includes resources needed to deploy AWS CDK apps into this environment",
        "Parameters": {"Qualifier": {"Type": "String", "Default": qualifier}},
        "Resources": {
            "StagingBucket": {"Type": "AWS::S3::Bucket", "Properties": {
                "BucketName": f"cdk-{qualifier}-assets-{spec.account_id}-{spec.home_region}"}},
            "CdkBootstrapVersion": {"Type": "AWS::SSM::Parameter", "Properties": {
                "Name": f"/cdk-bootstrap/{qualifier}/version", "Type": "String", "Value": "21"}},
        },
        "Outputs": {"BootstrapVersion": {"Value": "21", "Description": "The version of the bootstrap resources"}},
    }


def cdk_app_template(spec: ClientSpec) -> dict[str, Any]:
    """A small CDK app stack: CDKMetadata under its usual condition (moto cannot list that type)."""
    return {
        "Resources": {
            "Dashboard9E4231ED": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
                "DashboardName": f"{spec.name}-delivery", "DashboardBody": "{\"widgets\": []}"}},
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {
                "Analytics": "v2:deflate64:H4sIAAAAAAAA/zPSMzIwMFAyUEwuT83NK0ktSk1RMDXSMzIwMFAyUEwuzsxL"},
                "Metadata": {"aws:cdk:path": "MonitoringStack/CDKMetadata/Default"},
                "Condition": "CDKMetadataAvailable"},
        },
        "Conditions": {"CDKMetadataAvailable": {"Fn::Equals": [{"Ref": "AWS::Region"}, "cn-northwest-1"]}},
        "Parameters": {"BootstrapVersion": {"Type": "String", "Default": "21",
                                            "Description": "Version of the CDK Bootstrap resources"}},
    }


def seed_stackset(ctx: Ctx) -> None:
    """A self-managed StackSet deploying a break-glass role into the client's own account."""
    cfn = ctx.c("cloudformation")
    template = {"Resources": {"BreakGlassRole": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "ConsultancyBreakGlass",
        "AssumeRolePolicyDocument": json.loads(trust({"AWS": f"arn:aws:iam::{TOOLING_ACCOUNT}:root"}))}}}}
    cfn.create_stack_set(StackSetName="consultancy-baseline-roles", TemplateBody=json.dumps(template),
                         PermissionModel="SELF_MANAGED", Capabilities=["CAPABILITY_NAMED_IAM"],
                         Description="Baseline roles rolled out by StackSets",
                         Tags=tag_list(tags(ctx.spec, "ops")))
    ctx.out.add("stacksets", ctx.region)
    cfn.create_stack_instances(StackSetName="consultancy-baseline-roles", Accounts=[ctx.acct],
                               Regions=[ctx.region])
    ctx.out.add("stacks", ctx.region)
    ctx.out.add("stack_resources", ctx.region)
    ctx.out.add("iam_roles", GLOBAL)
    ctx.c("iam").tag_role(RoleName="ConsultancyBreakGlass", Tags=tag_list(tags(ctx.spec, "ops")))
    fix.stackset_instance_tags(ctx, "consultancy-baseline-roles", tags(ctx.spec, "ops"))

