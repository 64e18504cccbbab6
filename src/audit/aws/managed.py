"""Cross-collector facts computed once an account is fully crawled.

`managed_by`: the owning CloudFormation stack of every resource row, from `stack_resources`,
matched on resource type AND physical id (an ECR repository and a Lambda function may share a
name). Global resources (IAM, S3, CloudFront) match stacks of any region of the account.
`used_for_rollback`: alarms referenced by a CodeDeploy group's rollback alarms (same region).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import arn_tail

# table -> CloudFormation resource types whose physical id may name its rows
CFN_TYPES: dict[str, tuple[str, ...]] = {
    "pipelines": ("AWS::CodePipeline::Pipeline",),
    "codebuild_projects": ("AWS::CodeBuild::Project",),
    "codedeploy_applications": ("AWS::CodeDeploy::Application",),
    "codedeploy_groups": ("AWS::CodeDeploy::DeploymentGroup",),
    "stacks": ("AWS::CloudFormation::Stack",),
    "stacksets": ("AWS::CloudFormation::StackSet",),
    "ecs_clusters": ("AWS::ECS::Cluster",),
    "ecs_services": ("AWS::ECS::Service",),
    "eks_clusters": ("AWS::EKS::Cluster",),
    "lambda_functions": ("AWS::Lambda::Function", "AWS::Serverless::Function"),
    "beanstalk_applications": ("AWS::ElasticBeanstalk::Application",),
    "beanstalk_environments": ("AWS::ElasticBeanstalk::Environment",),
    "ecr_repositories": ("AWS::ECR::Repository",),
    "s3_buckets": ("AWS::S3::Bucket",),
    "cloudfront_distributions": ("AWS::CloudFront::Distribution",),
    "apigateway_apis": ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api", "AWS::Serverless::Api",
                        "AWS::Serverless::HttpApi"),
    "iam_roles": ("AWS::IAM::Role",),
    "iam_oidc_providers": ("AWS::IAM::OIDCProvider",),
    "iam_users": ("AWS::IAM::User",),
    "autoscaling_groups": ("AWS::AutoScaling::AutoScalingGroup",),
    "launch_templates": ("AWS::EC2::LaunchTemplate",),
    "cloudwatch_alarms": ("AWS::CloudWatch::Alarm",),
}
GLOBAL_TABLES = {"s3_buckets", "cloudfront_distributions", "iam_roles", "iam_oidc_providers", "iam_users"}


def _ids(row: Mapping[str, Any]) -> set[str]:
    ids = {str(row.get("name") or ""), str(row.get("arn") or ""), arn_tail(row.get("arn"))}
    arn = str(row.get("arn") or "")
    if ":deploymentgroup:" in arn:  # CodeDeploy groups: physical id is the group name
        ids.add(arn.rsplit("/", 1)[-1])
    if "/restapis/" in arn or "/apis/" in arn:
        ids.add(arn.rsplit("/", 1)[-1])
    return {i for i in ids if i}


def fill_managed_by(tables: dict[str, list[dict[str, Any]]]) -> None:
    """Set `managed_by` in place on every resource row of one account."""
    owners: dict[tuple[str, str, str], str] = {}  # (region, type, physical id) -> stack
    for r in tables.get("stack_resources", []):
        if r.get("physical_id"):
            owners[(r["region"], r["resource_type"], r["physical_id"])] = r["stack_name"]
            owners.setdefault(("*", r["resource_type"], r["physical_id"]), r["stack_name"])
    if not owners:
        return
    for table, types in CFN_TYPES.items():
        for row in tables.get(table, []):
            region = "*" if table in GLOBAL_TABLES else row["region"]
            ids = _ids(row)
            row["managed_by"] = next((owners[(region, t, i)] for t in types for i in ids
                                      if (region, t, i) in owners), None)


def fill_rollback_alarms(tables: dict[str, list[dict[str, Any]]]) -> None:
    """Mark alarms that a CodeDeploy group uses for automatic rollback."""
    used = {(g["region"], a) for g in tables.get("codedeploy_groups", []) for a in g.get("rollback_alarms") or []}
    for alarm in tables.get("cloudwatch_alarms", []):
        alarm["used_for_rollback"] = (alarm["region"], alarm["name"]) in used
