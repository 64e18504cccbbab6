"""The onboarding baseline every client account may have: the audit role, CI roles, the artifacts
bucket, alarms, the CDK bootstrap stack and the consultancy's StackSet (as the client's Baseline says)."""

from __future__ import annotations

import json
from typing import Any

from audit.demo import backend_fixes as fix
from audit.demo.model import AUDIT_ROLE, TOOLING_ACCOUNT, BucketSettings, ClientSpec
from audit.demo.seed import GLOBAL, Ctx, artifacts_bucket, tag_list, tags, trust

AWS_POLICY = "arn:aws:iam::aws:policy/"
# The managed and inline policies of the baseline roles (an onboarding template attaches the same).
AUDIT_POLICIES = (f"{AWS_POLICY}ReadOnlyAccess",)
DEPLOY_POLICIES = (f"{AWS_POLICY}PowerUserAccess",)
OPS_POLICIES = (f"{AWS_POLICY}job-function/ViewOnlyAccess",)
DEPLOY_INLINE = {"assume-cdk-roles": {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/cdk-hnb659fds-*"}]}}
AUDIT_SESSION_SECONDS = 7200  # a crawl of a big account outlasts the default hour
# CDK's bootstrap staging bucket: KMS-encrypted, versioned, public access blocked
CDK_STAGING = BucketSettings(encryption="aws:kms")


def seed_baseline(ctx: Ctx) -> None:
    """The onboarding baseline: audit role always, the rest as the client's Baseline says."""
    spec, b = ctx.spec, ctx.spec.baseline
    ctx.role(AUDIT_ROLE, {"AWS": f"arn:aws:iam::{TOOLING_ACCOUNT}:root"}, "ops",
             condition={"StringEquals": {"sts:ExternalId": "consultancy-audit"}},
             description="Read-only audit role for cicd-audit", managed=AUDIT_POLICIES,
             max_session=AUDIT_SESSION_SECONDS)
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
            description="CI deploy role for GitHub Actions (OIDC)", managed=DEPLOY_POLICIES, inline=DEPLOY_INLINE)
    if b.artifacts_bucket:
        ctx.bucket(artifacts_bucket(spec), "ops", settings=b.artifacts_settings)
    if b.ops_access_role:
        ctx.role("ConsultancyOpsAccess", {"AWS": f"arn:aws:iam::{TOOLING_ACCOUNT}:root"}, "ops",
                 description="Cross-account access for the consultancy's on-call engineers", managed=OPS_POLICIES)
    if b.alarms:
        ctx.alarm("consultancy-root-login", "ops", namespace="CloudTrailMetrics", metric="RootLogin",
                  missing="notBreaching")
        ctx.alarm("consultancy-pipeline-failed", "ops", namespace="AWS/CodePipeline", metric="FailedExecutions",
                  missing="notBreaching")
        if "us-east-1" in ctx.model.regions:
            ctx.alarm("consultancy-billing-estimate", "ops", namespace="AWS/Billing", metric="EstimatedCharges",
                      region="us-east-1", statistic="Maximum", period=21600, threshold=1000,
                      operator="GreaterThanThreshold")
    if b.cdk_bootstrap:
        ctx.stack("CDKToolkit", cdk_bootstrap_template(spec), "ops")
        # moto applies only BucketEncryption (and Tags) of an AWS::S3::Bucket's properties; CloudFormation
        # applies VersioningConfiguration and PublicAccessBlockConfiguration too: set them as it would
        ctx.bucket_settings(cdk_staging_bucket(spec), CDK_STAGING)
        ctx.stack(f"{spec.name}-monitoring", cdk_app_template(spec), "ops")
    if spec.stackset:
        seed_stackset(ctx)


CDK_QUALIFIER = "hnb659fds"


def cdk_staging_bucket(spec: ClientSpec) -> str:
    return f"cdk-{CDK_QUALIFIER}-assets-{spec.account_id}-{spec.home_region}"


def cdk_bootstrap_template(spec: ClientSpec) -> dict[str, Any]:
    """The bootstrap stack's staging bucket with the settings CDK's own bootstrap template gives it."""
    qualifier = CDK_QUALIFIER
    return {
        "Description": "This stack includes resources needed to deploy AWS CDK apps into this environment",
        "Parameters": {"Qualifier": {"Type": "String", "Default": qualifier}},
        "Resources": {
            "StagingBucket": {"Type": "AWS::S3::Bucket", "Properties": {
                "BucketName": cdk_staging_bucket(spec),
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": CDK_STAGING.encryption}}]},
                "VersioningConfiguration": {"Status": CDK_STAGING.versioning},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True}}},
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

