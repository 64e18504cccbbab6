"""Every table of a snapshot, declared once: column names, arrow types and meanings.

The declarations double as the data dictionary (`docs/tables.md` is generated from them) and as
the contract between collectors, the repository scanner, the analysis and the notebooks. Rows are
plain dicts; `to_arrow` casts them to the declared schema so a snapshot's types never depend on
what one run happened to see (an empty table still has its columns).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import pandas as pd
import pyarrow as pa

from audit.store.error_rows import ERROR_CLASSES, SOURCES

STR, INT, FLOAT, BOOL = pa.string(), pa.int64(), pa.float64(), pa.bool_()
TS = pa.timestamp("us", tz="UTC")
STRS = pa.list_(pa.string())
# The families of `repo_traits`: what the scanner detects, the demo plants and the analysis reads.
TRAIT_FAMILIES = ("languages", "build_tools", "ci_systems", "iac_tools", "packaging", "deploy_targets")


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    doc: str = ""


@dataclass(frozen=True)
class DeployTarget:
    """Where a compute resource runs what it deploys (`target`, `strategy`, `artifact` of a unit)."""

    target: str
    strategy: str
    artifact: str


@dataclass(frozen=True)
class ResourceType:
    """What is known about the AWS resource type behind a resource table, in one place.

    `cfn_types`: the CloudFormation types whose physical id may name its rows (`managed_by` is
    matched on type AND id: an ECR repository and a Lambda function may share a name).
    `scope`: global resources (IAM, S3, CloudFront) have region 'global' and match stacks of any
    region. `arn`: the ARN shape (`<region>`, `<account>`; other `<...>` parts are free text).
    `deploys_to`: for compute resources, what a unit built from a stack's resource of this type
    deploys to when the resource itself was not crawled.
    """

    cfn_types: tuple[str, ...]
    arn: str
    scope: Literal["regional", "global"] = "regional"
    deploys_to: DeployTarget | None = None

    def arn_pattern(self) -> re.Pattern[str]:
        """The ARN shape as a regex (any partition: aws, aws-cn, aws-us-gov)."""
        parts = re.split(r"(<[^>]+>)", self.arn.removeprefix("arn:aws:"))
        free = {"<region>": r"[a-z]{2}(-[a-z]+)+-\d", "<account>": r"\d{12}"}
        body = "".join(free.get(p, ".+") if p.startswith("<") else re.escape(p) for p in parts)
        return re.compile(f"arn:aws(-[a-z-]+)?:{body}")


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    source: str  # crawl | scan | analysis
    resource: ResourceType | None = None  # crawled resource tables only

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name: str, type_: pa.DataType, doc: str = "") -> Column:
    return Column(name, type_, doc)


# Provenance carried by every crawled row.
_WHERE = (
    _c("account_id", STR, "12-digit AWS account id"),
    _c("client", STR, "client name from accounts.yaml"),
    _c("region", STR, "AWS region, or 'global' for IAM/S3/CloudFront"),
)
# Columns every crawled *resource* row has.
_RESOURCE = (
    *_WHERE,
    _c("arn", STR, "ARN (or the closest unique id the API gives)"),
    _c("name", STR, "resource name"),
    _c("tags", STR, "tags as a JSON object; the value under a secret-looking key is '<masked>'"),
    _c("managed_by", STR, "owning CloudFormation stack name; null means no stack owns it (likely manual)"),
)


def _resource(name: str, doc: str, kind: ResourceType, *cols: Column) -> Table:
    return Table(name, doc, (*_RESOURCE, *cols), "crawl", kind)


def _kind(arn: str, *cfn_types: str, scope: Literal["regional", "global"] = "regional",
          deploys_to: tuple[str, str, str] | None = None) -> ResourceType:
    return ResourceType(cfn_types, arn, scope, DeployTarget(*deploys_to) if deploys_to else None)


_GLOBAL: Literal["global"] = "global"


def _crawl(name: str, doc: str, *cols: Column) -> Table:
    return Table(name, doc, (*_WHERE, *cols), "crawl")


_TABLE_LIST: list[Table] = [
    # ---- crawl: bookkeeping ------------------------------------------------------------------
    Table("accounts", "One row per client account the crawl tried.", (
        _c("account_id", STR), _c("client", STR),
        _c("teams", STRS, "teams serving this client (accounts.yaml)"),
        _c("tags", STR, "client tags as JSON (secret-looking keys' values masked)"),
        _c("role_arn", STR, "role assumed for the crawl"),
        _c("regions", STRS, "regions crawled"),
        _c("status", STR, "ok | partial | failed"),
        _c("error_count", INT),
        _c("calls", INT, "API calls made for this account"),
        _c("seconds", FLOAT, "wall time spent on this account"),
    ), "crawl"),
    Table("errors", "Every failure, crawl or scan: partial failure is data, not absence.", (
        _c("source", STR, " | ".join(SOURCES)),
        _c("account_id", STR), _c("client", STR), _c("region", STR),
        _c("collector", STR, "collector name, or repository name for scan errors"),
        _c("operation", STR, "API operation or scan step"),
        _c("error_class", STR, " | ".join(ERROR_CLASSES)),
        _c("error_code", STR, "AWS error code or exception name"),
        _c("message", STR, "message with credentials redacted"),
    ), "crawl"),
    _crawl("findings", "Security-relevant observations made while crawling (never with values).",
           _c("collector", STR), _c("resource_arn", STR), _c("resource_name", STR),
           _c("kind", STR, "plaintext-secret-variable | long-lived-access-key | ..."),
           _c("detail", STR, "e.g. the variable name; never the value")),
    # ---- CodePipeline --------------------------------------------------------------------------
    _resource("pipelines", "CodePipeline pipelines, normalised.",
              _kind("arn:aws:codepipeline:<region>:<account>:<name>", "AWS::CodePipeline::Pipeline"),
              _c("pipeline_type", STR, "V1 | V2"), _c("role_arn", STR),
              _c("stage_names", STRS),
              _c("source_provider", STR, "CodeStarSourceConnection | CodeCommit | S3 | ECR | GitHub ..."),
              _c("source_repository", STR, "org/repo, CodeCommit repository name, or bucket/key"),
              _c("source_branch", STR),
              _c("source_connection_arn", STR, "the connection a CodeStarSourceConnection source uses "
                 "(its ConnectionArn; `connections` names its provider)"),
              _c("build_providers", STRS), _c("deploy_providers", STRS),
              _c("deploy_stack_names", STRS, "CloudFormation stacks its deploy actions target"),
              _c("codebuild_projects", STRS, "CodeBuild projects its actions run"),
              _c("codedeploy_targets", STRS, "application/deployment-group pairs it deploys"),
              _c("manual_approvals", INT), _c("triggers", STRS, "V2 triggers / detect-changes mode"),
              _c("created", TS), _c("updated", TS)),
    _crawl("pipeline_actions", "Every action of every pipeline stage.",
           _c("pipeline_name", STR), _c("stage", STR), _c("stage_index", INT), _c("action", STR),
           _c("category", STR), _c("owner", STR), _c("provider", STR),
           _c("configuration", STR, "action configuration as JSON through the per-provider allow-list "
              "(docs/crawler.md): other keys keep their name with '<masked>'; EnvironmentVariables "
              "names and types only; URLs without credentials")),
    _crawl("pipeline_executions", "Pipeline executions of the last N days.",
           _c("pipeline_name", STR), _c("execution_id", STR), _c("status", STR),
           _c("start_time", TS), _c("end_time", TS),
           _c("trigger_type", STR), _c("trigger_detail", STR),
           _c("source_revision", STR),
           _c("source_revision_time", TS, "commit (or S3 object) time: a CodeCommit source's committer date "
              "(BatchGetCommits), else GetPipelineExecution artifactRevisions[].created, null beyond the first "
              "crawl's revision_lookups most recent executions"),
           _c("source_revision_summary", STR, "commit message, first line (sourceRevisions[].revisionSummary; "
              "a connection's CommitMessage)")),
    _crawl("pipeline_event_rules", "EventBridge rules (default bus) that start a pipeline: one row per rule and "
           "pipeline target (CodeCommit, S3 and ECR sources are started this way).",
           _c("rule_name", STR), _c("rule_arn", STR),
           _c("state", STR, "ENABLED | DISABLED | ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"),
           _c("event_sources", STRS, "the event pattern's source, e.g. aws.codecommit"),
           _c("detail_types", STRS, "the event pattern's detail-type, e.g. CodeCommit Repository State Change"),
           _c("schedule", STR, "schedule expression of a scheduled rule"),
           _c("pipeline_name", STR), _c("pipeline_arn", STR)),
    # ---- CodeCommit ----------------------------------------------------------------------------
    _resource("codecommit_repositories", "CodeCommit repositories (repos.yaml `discover.codecommit` scans them).",
              _kind("arn:aws:codecommit:<region>:<account>:<name>", "AWS::CodeCommit::Repository"),
              _c("repository_id", STR), _c("default_branch", STR, "null until the first push"),
              _c("clone_url_http", STR), _c("clone_url_ssh", STR), _c("last_modified", TS)),
    # ---- CodeConnections -----------------------------------------------------------------------
    _resource("connections", "CodeConnections (formerly CodeStar Connections): a pipeline source's link to "
              "GitHub, Bitbucket, GitLab or a self-managed host.",
              _kind("arn:aws:<codestar-connections|codeconnections>:<region>:<account>:connection/<id>",
                    "AWS::CodeStarConnections::Connection"),
              _c("provider_type", STR, "GitHub | Bitbucket | GitLab | GitHubEnterpriseServer | GitLabSelfManaged | "
                 "AzureDevOps | GitHubEnterpriseCloudDataResidency"),
              _c("status", STR, "PENDING | AVAILABLE | ERROR"), _c("owner_account_id", STR),
              _c("host_arn", STR, "the host of a self-managed provider (GitHubEnterpriseServer, GitLabSelfManaged)")),
    # ---- CodeBuild -----------------------------------------------------------------------------
    _resource("codebuild_projects", "CodeBuild projects.",
              _kind("arn:aws:codebuild:<region>:<account>:project/<name>", "AWS::CodeBuild::Project"),
              _c("source_type", STR), _c("source_location", STR, "URL without credentials"), _c("image", STR),
              _c("compute_type", STR), _c("environment_type", STR),
              _c("buildspec_kind", STR, "inline | file | default"), _c("buildspec_path", STR),
              _c("env_var_names", STRS, "environment variable names only"),
              _c("env_var_types", STRS, "PLAINTEXT | PARAMETER_STORE | SECRETS_MANAGER, aligned with names"),
              _c("service_role", STR), _c("webhook", BOOL), _c("last_modified", TS)),
    _crawl("codebuild_builds", "CodeBuild builds of the last N days.",
           _c("project_name", STR), _c("build_id", STR), _c("status", STR),
           _c("start_time", TS), _c("end_time", TS), _c("initiator", STR), _c("source_version", STR)),
    # ---- CodeDeploy ----------------------------------------------------------------------------
    _resource("codedeploy_applications", "CodeDeploy applications.",
              _kind("arn:aws:codedeploy:<region>:<account>:application:<name>",
                    "AWS::CodeDeploy::Application"),
              _c("compute_platform", STR, "Server | Lambda | ECS")),
    _resource("codedeploy_groups", "CodeDeploy deployment groups.",
              _kind("arn:aws:codedeploy:<region>:<account>:deploymentgroup:<application>/<name>",
                    "AWS::CodeDeploy::DeploymentGroup"),
              _c("application_name", STR), _c("compute_platform", STR),
              _c("deployment_config", STR), _c("deployment_type", STR, "IN_PLACE | BLUE_GREEN"),
              _c("auto_rollback", BOOL), _c("rollback_alarms", STRS),
              _c("target_kind", STR, "ec2-tags | autoscaling | ecs | lambda | on-premises"),
              _c("autoscaling_groups", STRS), _c("service_role", STR),
              _c("ecs_services", STRS, "ECS services it deploys, as cluster/service (ecsServices[])")),
    _crawl("codedeploy_deployments", "CodeDeploy deployments of the last N days.",
           _c("application_name", STR), _c("group_name", STR), _c("deployment_id", STR),
           _c("status", STR), _c("create_time", TS), _c("complete_time", TS),
           _c("creator", STR, "user | autoscaling | codeDeployRollback | ..."),
           _c("rollback", BOOL, "this deployment is a rollback of another")),
    # ---- CloudFormation ------------------------------------------------------------------------
    _resource("stacks", "CloudFormation stacks and the IaC tool behind each.",
              _kind("arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>", "AWS::CloudFormation::Stack"),
              _c("status", STR), _c("iac_tool", STR,
                                    "the tool that made the stack (rules: docs/crawler.md): cloudformation | beanstalk | "
                                    "stackset | eksctl | copilot | amplify | serverless-framework | cdk | sam"),
              _c("created", TS), _c("last_updated", TS, "LastUpdatedTime, or CreationTime when never updated"),
              _c("resource_count", INT),
              _c("drift_status", STR), _c("termination_protection", BOOL),
              _c("template_tool", STR, "what the template alone says (copied while last_updated does not move); "
                 "null when the name, tags or outputs decide iac_tool and the template is not read"),
              _c("parent_stack", STR, "nested stack: the stack that created it (ParentId); null otherwise"),
              _c("root_stack", STR, "nested stack: the top-level stack it belongs to (RootId), which owns its "
                 "resources in managed_by and counts as the unit; null when not nested")),
    _crawl("stack_resources", "Resources of every stack: the source of `managed_by`.",
           _c("stack_name", STR), _c("logical_id", STR), _c("physical_id", STR),
           _c("resource_type", STR), _c("status", STR)),
    _resource("stacksets", "CloudFormation StackSets (administrator side).",
              _kind("arn:aws:cloudformation:<region>:<account>:stackset/<name>:<uuid>",
                    "AWS::CloudFormation::StackSet"),
              _c("status", STR), _c("permission_model", STR), _c("instance_count", INT)),
    # ---- compute and hosting -------------------------------------------------------------------
    _resource("ecs_clusters", "ECS clusters.",
              _kind("arn:aws:ecs:<region>:<account>:cluster/<name>", "AWS::ECS::Cluster"), _c("status", STR), _c("service_count", INT)),
    _resource("ecs_services", "ECS services and the image their task definition runs.",
              _kind("arn:aws:ecs:<region>:<account>:service/<cluster>/<name>", "AWS::ECS::Service",
                    deploys_to=("ecs", "rolling", "image")),
              _c("cluster", STR), _c("launch_type", STR), _c("deployment_controller", STR, "ECS | CODE_DEPLOY | EXTERNAL"),
              _c("desired_count", INT),
              _c("task_definition", STR, "the service's, else its PRIMARY task set's (EXTERNAL controller)"),
              _c("image", STR, "first container image without tag"),
              _c("image_registry", STR, "ecr | dockerhub | ghcr | other"),
              _c("env_var_names", STRS),
              _c("rollback_on_failure", BOOL, "deployment circuit breaker enabled with rollback"),
              _c("deployment_strategy", STR, "ECS controller: ROLLING | BLUE_GREEN | LINEAR | CANARY; "
                 "null when CodeDeploy or an external controller deploys"),
              _c("rollback_alarms", STRS, "CloudWatch alarms that roll a deployment back (alarms.rollback)")),
    _resource("eks_clusters", "EKS clusters.",
              _kind("arn:aws:eks:<region>:<account>:cluster/<name>", "AWS::EKS::Cluster",
                    deploys_to=("eks", "rolling", "image")), _c("version", STR), _c("status", STR)),
    _resource("lambda_functions", "Lambda functions.",
              _kind("arn:aws:lambda:<region>:<account>:function:<name>", "AWS::Lambda::Function",
                    "AWS::Serverless::Function", deploys_to=("lambda", "all-at-once", "zip")),
              _c("runtime", STR), _c("package_type", STR, "Zip | Image"), _c("handler", STR),
              _c("memory_mb", INT), _c("last_modified", TS),
              _c("env_var_names", STRS, "environment variable names, never values; null when unreadable"),
              _c("env_error", STR, "why the variables could not be read (Environment.Error code), else null")),
    _resource("beanstalk_applications", "Elastic Beanstalk applications.",
              _kind("arn:aws:elasticbeanstalk:<region>:<account>:application/<name>",
                    "AWS::ElasticBeanstalk::Application")),
    _resource("beanstalk_environments", "Elastic Beanstalk environments.",
              _kind("arn:aws:elasticbeanstalk:<region>:<account>:environment/<application>/<name>",
                    "AWS::ElasticBeanstalk::Environment", deploys_to=("beanstalk", "rolling", "bundle")),
              _c("application_name", STR), _c("platform", STR), _c("solution_stack", STR),
              _c("status", STR), _c("health", STR), _c("tier", STR),
              _c("option_names", STRS, "option setting names only (namespace:name), never values")),
    _resource("ecr_repositories", "ECR repositories.",
              _kind("arn:aws:ecr:<region>:<account>:repository/<name>", "AWS::ECR::Repository"),
              _c("scan_on_push", BOOL, "images are scanned when pushed"),
              _c("scan_on_push_source", STR, "registry (a registry scanning rule matches) | repository "
                 "(the repository's own, deprecated, setting)"),
              _c("registry_scan_type", STR, "the region's registry scanning: BASIC | ENHANCED (null: unreadable)"),
              _c("tag_mutability", STR), _c("image_count", INT, "distinct image digests (not tags)"),
              _c("encryption_type", STR, "AES256 | KMS | KMS_DSSE (DescribeRepositories' encryptionConfiguration)")),
    _resource("s3_buckets", "S3 buckets (global listing, region = bucket location).",
              _kind("arn:aws:s3:::<name>", "AWS::S3::Bucket", scope=_GLOBAL),
              _c("website", BOOL, "static website hosting enabled"), _c("bucket_region", STR),
              _c("settings_read", BOOL, "a delivery bucket (audit.names.BUCKET_PURPOSES): its versioning, "
                 "encryption and public access block were asked for; false: not asked, the settings are null"),
              _c("versioning", STR, "Enabled | Suspended | Disabled (never enabled); null: not read"),
              _c("encryption", STR, "SSE algorithm of the first default-encryption rule (AES256 | aws:kms | "
                 "aws:kms:dsse); 'none': no default encryption (S3-compatible endpoints; AWS encrypts every "
                 "bucket since 2023-01-05); null: not read"),
              _c("bucket_key_enabled", BOOL, "S3 Bucket Key on for SSE-KMS; null: not read"),
              _c("public_access_blocked", BOOL, "all four public access block flags on; false: a flag off or "
                 "no configuration; null: not read")),
    _resource("cloudfront_distributions", "CloudFront distributions.",
              _kind("arn:aws:cloudfront::<account>:distribution/<id>", "AWS::CloudFront::Distribution",
                    scope=_GLOBAL),
              _c("domain_name", STR), _c("origins", STRS, "origin domain names"),
              _c("origin_kinds", STRS, "s3 | s3-website | alb | apigateway | custom"), _c("enabled", BOOL)),
    _resource("apigateway_apis", "API Gateway REST (v1) and HTTP/WebSocket (v2) APIs.",
              _kind("arn:aws:apigateway:<region>::/<restapis|apis>/<id>", "AWS::ApiGateway::RestApi",
                    "AWS::ApiGatewayV2::Api", "AWS::Serverless::Api", "AWS::Serverless::HttpApi"),
              _c("api_type", STR, "REST | HTTP | WEBSOCKET"), _c("endpoint_type", STR), _c("created", TS)),
    _resource("iam_roles", "IAM roles that CI/CD can assume, classified by trust.",
              _kind("arn:aws:iam::<account>:role/<path/name>", "AWS::IAM::Role", scope=_GLOBAL),
              _c("trust_kind", STR, "github-oidc | gitlab-oidc | bitbucket-oidc | other-oidc | "
                 "cross-account | codebuild | codepipeline | codedeploy | cloudformation | other"),
              _c("trusted_principals", STRS, "principals or OIDC subjects allowed to assume"),
              _c("created", TS), _c("last_used", TS),
              _c("path", STR, "role path, e.g. '/' or '/ci/'"),
              _c("max_session_seconds", INT, "MaxSessionDuration (ListRoles; null: not read)"),
              _c("managed_policy_arns", STRS, "attached managed policies' ARNs"),
              _c("inline_policy_names", STRS, "inline policy names (the documents are never kept)"),
              _c("permissions_boundary_arn", STR, "permissions boundary policy ARN; null: none"),
              _c("external_id_required", BOOL, "an Allow statement's condition requires sts:ExternalId "
                 "(its value is never kept)"),
              _c("oidc_audiences", STRS, "values of `<provider>:aud` conditions of Allow statements"),
              _c("oidc_subjects", STRS, "values of `<provider>:sub` conditions of Allow statements"),
              _c("trust_services", STRS, "Principal.Service values of Allow statements"),
              _c("trust_accounts", STRS, "12-digit account ids of Principal.AWS entries ('*' kept as '*')")),
    _resource("iam_oidc_providers", "IAM OpenID Connect providers.",
              _kind("arn:aws:iam::<account>:oidc-provider/<url>", "AWS::IAM::OIDCProvider", scope=_GLOBAL),
              _c("url", STR), _c("provider_kind", STR, "github | gitlab | bitbucket | other"),
              _c("client_ids", STRS)),
    _resource("iam_users", "IAM users with access keys (never key material).",
              _kind("arn:aws:iam::<account>:user/<path/name>", "AWS::IAM::User", scope=_GLOBAL),
              _c("access_key_count", INT), _c("active_key_count", INT),
              _c("oldest_key_age_days", INT), _c("created", TS)),
    _resource("autoscaling_groups", "EC2 Auto Scaling groups.",
              _kind("arn:aws:autoscaling:<region>:<account>:autoScalingGroup:<uuid>:autoScalingGroupName/<name>",
                    "AWS::AutoScaling::AutoScalingGroup", deploys_to=("ec2", "in-place", "bundle")),
              _c("launch_template", STR), _c("min_size", INT), _c("max_size", INT),
              _c("desired_capacity", INT), _c("target_group_count", INT)),
    _resource("launch_templates", "EC2 launch templates.",
              _kind("arn:aws:ec2:<region>:<account>:launch-template/<id>", "AWS::EC2::LaunchTemplate"),
              _c("latest_version", INT), _c("default_version", INT), _c("created", TS)),
    _resource("cloudwatch_alarms", "CloudWatch metric alarms.",
              _kind("arn:aws:cloudwatch:<region>:<account>:alarm:<name>", "AWS::CloudWatch::Alarm"),
              _c("namespace", STR), _c("metric_name", STR), _c("state", STR),
              _c("actions_enabled", BOOL),
              _c("used_for_rollback", BOOL, "referenced by a CodeDeploy group's or an ECS service's rollback alarms"),
              _c("statistic", STR, "Statistic (Sum, Average, ...) or ExtendedStatistic (p99, ...); null: metric math"),
              _c("comparison_operator", STR), _c("threshold", FLOAT), _c("period", INT, "seconds"),
              _c("evaluation_periods", INT), _c("treat_missing_data", STR, "missing | notBreaching | breaching | "
                                                  "ignore; null: not set (AWS treats it as missing)")),
    # ---- scan ----------------------------------------------------------------------------------
    Table("repos", "One row per team repository scanned.", (
        _c("repo", STR, "repository name (repos.yaml name)"), _c("team", STR),
        _c("url", STR, "git URL (without credentials) or local path"),
        _c("clients", STRS, "clients repos.yaml names (repo_links adds those whose pipelines build it)"),
        _c("default_branch", STR), _c("head_commit", STR),
        _c("last_commit_at", TS), _c("commits_90d", INT), _c("authors_90d", INT),
        _c("file_count", INT), _c("skipped_count", INT, "files skipped as hostile/huge/binary"),
        _c("status", STR, "ok | empty | failed"),
        _c("release_tags", INT, "tags in the repository"),
        _c("follows_sprint_calendar", BOOL, ">= 75% of releases at sprint end (survey calendar); null = unknown"),
    ), "scan"),
    Table("repo_traits", "What a repository is built with and how it ships, one row per trait value.", (
        _c("repo", STR), _c("team", STR),
        _c("family", STR, " | ".join(TRAIT_FAMILIES)),
        _c("value", STR, "vocabulary value"), _c("evidence", STRS, "repo-relative paths that prove it"),
    ), "scan"),
    Table("repo_activity", "Release tags and their dates per repository.", (
        _c("repo", STR), _c("team", STR), _c("tag", STR), _c("commit", STR),
        _c("tagged_at", TS), _c("release_kind", STR, "sprint-end | hotfix | other"),
    ), "scan"),
    # ---- analysis (derived, beside the snapshot in analysis/; see docs/analysis.md) -------------
    Table("repo_links", "Each scanned repository linked to the pipelines whose source it is.", (
        _c("repo", STR), _c("clients", STRS, "repos.yaml clients plus the clients of the linked pipelines"),
        _c("pipeline_links", STRS, "pipeline ARNs whose source is this repo"),
    ), "analysis"),
    Table("unmatched_sources", "Pipeline sources with no scanned repository.", (
        _c("account_id", STR), _c("client", STR), _c("region", STR), _c("pipeline_name", STR),
        _c("source_provider", STR), _c("source_repository", STR), _c("source_branch", STR),
    ), "analysis"),
    Table("units", "Deployable units joined from both sides, with their pattern fingerprint.", (
        _c("unit_id", STR, "stable id: account/region/kind/name, or repo/<repo>/<client>"),
        _c("account_id", STR), _c("client", STR), _c("region", STR),
        _c("team", STR, "owning team (rule in docs/analysis.md); null = unknown"),
        _c("team_source", STR, "repo | account | tag | inferred; null = unattributed"),
        _c("team_confidence", FLOAT, "1 for repo/account/tag; the winning share of the scores when inferred"),
        _c("team_evidence", STR, "why this team (plain text)"),
        _c("kind", STR, "pipeline | stack | service | function | repo | manual"),
        _c("name", STR), _c("repo", STR, "linked repository"), _c("pipeline_name", STR),
        _c("stack_name", STR), _c("source", STR), _c("build", STR), _c("artifact", STR),
        _c("iac", STR), _c("target", STR), _c("strategy", STR),
        _c("gates", STR, "gates joined by ' + ', or null"),
        _c("fingerprint", STR, "source -> build -> artifact -> iac -> target[strategy] + gates"),
        _c("family", STR, "artifact -> target"),
        _c("provenance", STR, "JSON: fingerprint part -> observed | inferred | unknown"),
    ), "analysis"),
    Table("patterns", "Each fingerprint with its units, clients and teams.", (
        _c("fingerprint", STR), _c("family", STR), _c("units", INT), _c("clients", INT), _c("teams", INT),
        _c("client_list", STRS), _c("team_list", STRS),
    ), "analysis"),
    Table("overlap", "Clients x patterns and teams x patterns matrices in long form.", (
        _c("dimension", STR, "client | team"), _c("key", STR), _c("fingerprint", STR), _c("family", STR),
        _c("units", INT),
    ), "analysis"),
    Table("similarity", "Jaccard similarity of clients' fingerprint sets (client_a < client_b).", (
        _c("client_a", STR), _c("client_b", STR), _c("jaccard", FLOAT),
    ), "analysis"),
    Table("team_drift", "Clients whose units of a team deviate from the team's dominant fingerprint.", (
        _c("team", STR), _c("client", STR), _c("dominant_fingerprint", STR),
        _c("client_fingerprints", STRS), _c("deviates", BOOL, "null when unattributed or not crawled"),
        _c("status", STR, "follows | drifts | unattributed | not crawled"),
        _c("differences", STRS, "fingerprint parts that differ from the dominant one: 'part: dominant -> client'"),
    ), "analysis"),
    Table("baseline", "The implicit onboarding checklist: items present in most client accounts.", (
        _c("item_kind", STR), _c("item", STR), _c("coverage", FLOAT, "0..1 of crawled accounts"),
        _c("accounts_with", INT), _c("accounts_total", INT), _c("missing_clients", STRS),
    ), "analysis"),
    Table("onboarding", "The onboarding baseline per client: which items each account has as most accounts do, "
          "which differ, which it lacks (audit.analysis.onboarding; the kit in reports/<date>/onboarding/).", (
        _c("client", STR), _c("account_id", STR), _c("item_kind", STR), _c("item", STR),
        _c("coverage", FLOAT, "0..1 of crawled accounts that have the item"),
        _c("status", STR, "has | differs | lacks | not crawled"),
        _c("differences", STRS, "settings that differ from the majority: 'setting: majority -> this account'"),
        _c("resource_type", STR, "the CloudFormation type baseline.yaml creates it as; null when not emitted"),
        _c("reason", STR, "why it is not in the template (or what provides it)"),
    ), "analysis"),
    Table("delivery", "Delivery history per unit, client and team; null = unknown, never a fake 0.", (
        _c("level", STR, "unit | client | team"), _c("key", STR), _c("team", STR), _c("client", STR),
        _c("deploys", INT), _c("deploys_per_week", FLOAT), _c("failures", INT),
        _c("change_failure_rate", FLOAT), _c("time_to_restore_hours", FLOAT), _c("lead_time_hours", FLOAT),
        _c("sprint_end_releases", INT), _c("hotfix_releases", INT), _c("sprint_end_share", FLOAT),
        _c("lead_time_source", STR, "commit-time | release-tag; null when unknown"),
        _c("release_kind_source", STR, "survey | commit-message | release-tag; null when unknown"),
    ), "analysis"),
    Table("ranking", "Catalog work items scored, in build order (rank), the meeting's pick marked.", (
        _c("item_id", STR), _c("title", STR),
        _c("rank", INT, "build order = the pick list (1 = first): pick_key descending, prerequisites first"),
        _c("clients", INT), _c("teams", INT),
        _c("units", INT), _c("client_list", STRS), _c("team_list", STRS),
        _c("hours_saved_per_year", FLOAT, "person-hours saved per year (docs/catalog.md, the payoff model)"),
        _c("delay_hours_avoided_per_year", FLOAT, "calendar hours of broken delivery avoided per year "
           "(cost of delay, not in hours saved)"),
        _c("effort_days", FLOAT, "person-days"), _c("roi", FLOAT),
        _c("cost_of_delay", FLOAT, "WSJF numerator: hours x (1 + (time criticality + risk) / 10)"),
        _c("wsjf", FLOAT, "cost_of_delay / effort_days"),
        _c("pick_key", FLOAT, "the sort key: max(own wsjf, pick_key of the items that need it)"),
        _c("depends_on", STRS),
        _c("cumulative_hours", FLOAT), _c("cumulative_effort_days", FLOAT),
        _c("picked", BOOL, "in the pick: the build-order prefix within capacity_days"),
        _c("capacity_days", FLOAT, "person-days the pick fills"),
        _c("capacity_source", STR, "survey | default | parameter"),
        _c("pick_share", FLOAT, "share of Monte Carlo runs (+-30% hours and effort) in which the item is picked"),
        _c("issue_type", STR, "the catalog's issue_type (Story | Task | Epic | Improvement)"),
        _c("priority", STR, "the catalog's priority; null = not set (the backlog suggests one from the pick)"),
        _c("labels", STRS, "the catalog's labels"),
        _c("inputs", STR, "every payoff input with its source (history | survey | default | catalog)"),
        _c("formula", STR, "the hours saved in one line, with the numbers"),
        _c("why", STR, "plain text explanation"),
    ), "analysis"),
    Table("item_hits", "Each catalog item's rule hits: the units it serves (what progress is measured on).", (
        _c("item_id", STR), _c("account_id", STR), _c("unit_id", STR),
    ), "analysis"),
    Table("picks", "Meeting picks (decisions.yaml) before this snapshot: progress and, once done, effect.", (
        _c("item_id", STR), _c("title", STR), _c("owner", STR, "owning team"), _c("sprint", STR),
        _c("status", STR, "picked | in-progress | done | dropped"), _c("picked_on", STR, "meeting date"),
        _c("updated", STR, "day of the last status change"),
        _c("units_at_pick", INT, "units the rule matched at the meeting; null = no analysed snapshot then"),
        _c("units_now", INT, "units the rule still matches"),
        _c("weeks_before", FLOAT, "weeks of history before done"), _c("weeks_after", FLOAT, "weeks since done"),
        _c("deploys_per_week_before", FLOAT), _c("deploys_per_week_after", FLOAT),
        _c("change_failure_rate_before", FLOAT), _c("change_failure_rate_after", FLOAT),
        _c("time_to_restore_hours_before", FLOAT), _c("time_to_restore_hours_after", FLOAT),
        _c("effect", STR, "measured | too early to tell: ... | not done yet | dropped"),
    ), "analysis"),
    Table("headline", "The snapshot's headline figures, one row (trended over snapshots in the report).", (
        _c("accounts_total", INT), _c("accounts_crawled", INT, "ok or partial"),
        _c("deploys_per_week", FLOAT), _c("change_failure_rate", FLOAT), _c("time_to_restore_hours", FLOAT),
        _c("lead_time_hours", FLOAT), _c("baseline_coverage", FLOAT, "mean over the baseline's items"),
        _c("findings", INT), _c("addressable_hours", FLOAT, "sum over every ranked item, hours per year"),
    ), "analysis"),
    Table("risk_findings", "Risky resources (audit.analysis.findings), each with the work item that fixes it.", (
        _c("kind", STR, "plaintext-secret | ci-access-key | ecr-scan-off | unmanaged-compute"),
        _c("title", STR), _c("account_id", STR), _c("client", STR), _c("region", STR),
        _c("resource", STR, "resource name"), _c("resource_key", STR, "ARN or unit id (what catalog rules return)"),
        _c("detail", STR, "variable name, key age, ...: never a secret value"),
        _c("item_id", STR, "best-ranked catalog item whose rule covers the resource; null = none"),
    ), "analysis"),
    Table("drift", "What changed since the last good snapshot (see drift_summary).", (
        _c("kind", STR, "account-added | account-removed | unit-added | unit-removed | "
           "fingerprint-changed | rank-moved"),
        _c("key", STR), _c("before", STR), _c("after", STR),
        _c("detail", STR, "the change in words: client and unit names, the fingerprint parts that changed"),
    ), "analysis"),
    Table("drift_summary", "Which snapshot drift compared with, and why (one row).", (
        _c("compared_with", STR, "date of the snapshot drift compared with; empty when none"),
        _c("outcome", STR, "this snapshot's crawl: ok | partial | all-failed | empty | no-crawl"),
        _c("skipped", STRS, "older snapshots passed over (no account crawled, or no crawl at all)"),
        _c("summary", STR, "the sentence the report shows"),
    ), "analysis"),
]

TABLES: dict[str, Table] = {t.name: t for t in _TABLE_LIST}
# Derived from the declarations (never listed by hand elsewhere):
RESOURCE_TYPES: dict[str, ResourceType] = {t.name: t.resource for t in _TABLE_LIST if t.resource}
GLOBAL_TABLES: frozenset[str] = frozenset(n for n, r in RESOURCE_TYPES.items() if r.scope == "global")
CFN_TABLES: dict[str, str] = {c: n for n, r in RESOURCE_TYPES.items() for c in r.cfn_types}  # CFN type -> table


def _cell(value: Any, type_: pa.DataType) -> Any:
    """Coerce one Python value to what pyarrow expects for the declared type."""
    return _converter(type_)(value)


def _missing(value: Any) -> bool:
    """None, NaN (from pandas) or NaT: a null cell."""
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT


def _plain(value: Any) -> Any:
    return None if _missing(value) else value


def _string(value: Any) -> Any:
    if _missing(value):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _timestamp(value: Any) -> Any:
    """An instant in UTC. A plain `datetime` (what botocore and the collectors give) is converted
    without pandas; anything else (strings, pandas or numpy values) goes through `pd.Timestamp`."""
    if type(value) is datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        if value.utcoffset() is not None:
            return value.astimezone(UTC)
    if _missing(value):
        return None
    ts = pd.Timestamp(value)
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).to_pydatetime()


def _converter(type_: pa.DataType) -> Callable[[Any], Any]:
    """The cell coercion of a declared type (chosen once per column, not per cell)."""
    if pa.types.is_timestamp(type_):
        return _timestamp
    if pa.types.is_string(type_):
        return _string
    return _plain


# The value types each coercion returns as they are (a column of only these is passed on whole).
_UNCHANGED: dict[Callable[[Any], Any], frozenset[type]] = {
    _plain: frozenset({str, int, bool, list, type(None)}),
    _string: frozenset({str, type(None)}),
    _timestamp: frozenset({type(None)}),
}


def to_arrow(table: str | Table, rows: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pa.Table:
    """Cast rows (dicts or a DataFrame) to the declared schema; unknown columns are an error."""
    spec = TABLES[table] if isinstance(table, str) else table
    if isinstance(rows, pd.DataFrame):
        rows = rows.to_dict("records")
    rows = list(rows)
    known = frozenset(spec.column_names)
    for row in rows:
        if not known.issuperset(row):
            raise ValueError(f"table {spec.name}: undeclared columns {sorted(set(row) - known)}")
    arrays = []
    for c in spec.columns:
        convert, name = _converter(c.type), c.name
        values = [r.get(name) for r in rows]
        if not _UNCHANGED[convert].issuperset(map(type, values)):  # else every cell is as it comes
            values = [convert(v) for v in values]
        arrays.append(pa.array(values, type=c.type))
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def empty_frame(table: str) -> pd.DataFrame:
    """An empty DataFrame with the declared columns (for code paths with nothing to show)."""
    return to_arrow(table, []).to_pandas()


def data_dictionary() -> str:
    """Markdown data dictionary of every table (docs/tables.md)."""
    out = ["# Snapshot tables", "", "Generated from `src/audit/store/schema.py`.", "",
           "Every table below is a view for `cicd-audit query SQL` (one snapshot: `--snapshot DIR` or "
           "`--date`; every snapshot with a leading `snapshot_date` column: `--all`; `--format "
           "table|csv|json`) and for `audit.store.open_duckdb(snapshot)` / `open_duckdb(root=...)` in Python. "
           "Crawl and scan tables sit in the snapshot directory, analysis tables in its `analysis/`; "
           "a declared table a snapshot lacks reads as empty.", ""]
    for t in _TABLE_LIST:
        out += [f"## `{t.name}` ({t.source})", "", t.doc, ""]
        if t.resource:
            r = t.resource
            out += [f"Resource type: {', '.join(f'`{c}`' for c in r.cfn_types)}; {r.scope}; ARN `{r.arn}`"
                    + (f"; deploys to {r.deploys_to.target}" if r.deploys_to else "") + ".", ""]
        out += ["| column | type | meaning |", "|---|---|---|"]
        out += [f"| {c.name} | {c.type} | {c.doc} |" for c in t.columns]
        out.append("")
    return "\n".join(out)
