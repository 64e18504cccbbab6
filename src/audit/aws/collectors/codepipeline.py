"""CodePipeline: pipelines with stages/actions normalised, and executions of the last N days.

Pipelines have no batch API: ListPipelines, then GetPipeline and ListTagsForResource per pipeline,
and ListPipelineExecutions (newest first) until the window closes. Its `sourceRevisions[].revisionSummary`
gives the commit message. The commit time of a CodeCommit source comes from its repository, 100
commits per BatchGetCommits call; any other source's needs GetPipelineExecution per execution,
bounded by the previous snapshot and `revision_lookups` (`_revision_times`).

Action configuration is free-form per provider and carries secrets (CodeBuild `EnvironmentVariables`
with PLAINTEXT values, CloudFormation `ParameterOverrides`, Lambda `UserParameters`, approval
`CustomData`, GitHub `OAuthToken`, credentials inside URLs). It is kept through an allow-list:
`SAFE_KEYS[provider]` keep their values (URLs without credentials), `EnvironmentVariables` becomes
names and types, every other key keeps its name with SECRET_MASK for a value. A PLAINTEXT
environment variable with a secret-looking name is a finding (its name, never its value).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from audit.aws.collectors.base import (
    SECRET_MASK,
    Collector,
    Ctx,
    Rows,
    arn_account,
    chunks,
    operations,
    pages,
    paginate,
    resource_row,
    secret_findings,
)
from audit.aws.failures import AWS_ERRORS
from audit.urls import strip_credentials

SOURCE_REPO_KEYS = ("FullRepositoryId", "RepositoryName", "Repo", "S3Bucket")
RUNNING = ("InProgress", "Stopping")  # execution statuses that may still change
MESSAGE_CHARS = 300  # a commit subject longer than this is cut
# BatchGetCommits' limit (the model's CommitIdsLimitExceededException: "The maximum number of
# allowed commit IDs in a batch request is 100")
COMMITS_PER_CALL = 100

# Provider -> configuration keys whose values are not secret (AWS CodePipeline action structure
# reference: https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference.html).
_IMAGES = {f"Image{i}{part}" for i in range(1, 5) for part in ("ArtifactName", "ContainerName")}
SAFE_KEYS: dict[str, frozenset[str]] = {p: frozenset(keys) for p, keys in {
    "CodeCommit": {"RepositoryName", "BranchName", "PollForSourceChanges", "OutputArtifactFormat"},
    "CodeStarSourceConnection": {"ConnectionArn", "FullRepositoryId", "BranchName", "OutputArtifactFormat",
                                 "DetectChanges"},
    "GitHub": {"Owner", "Repo", "Branch", "PollForSourceChanges"},  # v1; OAuthToken is a secret
    "S3": {"S3Bucket", "S3ObjectKey", "PollForSourceChanges", "AllowOverrideForS3ObjectKey",  # source
           "BucketName", "ObjectKey", "Extract", "KMSEncryptionKeyARN", "CannedACL", "CacheControl"},  # deploy
    "ECR": {"RepositoryName", "ImageTag"},
    "CodeBuild": {"ProjectName", "PrimarySource", "BatchEnabled", "CombineArtifacts"},  # + EnvironmentVariables
    "CodeDeploy": {"ApplicationName", "DeploymentGroupName"},
    "CodeDeployToECS": {"ApplicationName", "DeploymentGroupName", "TaskDefinitionTemplateArtifact",
                        "TaskDefinitionTemplatePath", "AppSpecTemplateArtifact", "AppSpecTemplatePath", *_IMAGES},
    "ECS": {"ClusterName", "ServiceName", "FileName", "DeploymentTimeout"},
    "CloudFormation": {"ActionMode", "StackName", "ChangeSetName", "Capabilities", "RoleArn", "TemplatePath",
                       "TemplateConfiguration", "OutputFileName"},  # ParameterOverrides may hold secrets
    "CloudFormationStackSet": {"StackSetName", "TemplatePath", "ParameterPath", "Capabilities", "PermissionModel",
                               "DeploymentTargets", "Regions", "FailureTolerancePercentage",
                               "MaxConcurrentPercentage", "AdministrationRoleArn", "ExecutionRoleName",
                               "OrganizationsAutoDeployment"},
    "CloudFormationStackInstances": {"StackSetName", "DeploymentTargets", "Regions", "FailureTolerancePercentage",
                                     "MaxConcurrentPercentage"},
    "Lambda": {"FunctionName"},  # UserParameters may hold secrets
    "Manual": {"NotificationArn", "ExternalEntityLink"},  # CustomData is free text
    "ElasticBeanstalk": {"ApplicationName", "EnvironmentName"},
    "StepFunctions": {"StateMachineArn", "ExecutionNamePrefix", "InputType"},  # Input may hold secrets
}.items()}


def get_pipelines(ctx: Ctx) -> list[dict[str, Any]]:
    """Per listed pipeline: GetPipeline (its pipeline row and actions), tags, executions. Each call
    fails alone: a pipeline whose GetPipeline fails loses its row and actions, keeps its executions."""
    cp = ctx.client("codepipeline")
    out = []
    for summary in pages(cp, "list_pipelines", "pipelines"):
        name = summary["name"]
        answer = ctx.soft("GetPipeline", lambda n=name: cp.get_pipeline(name=n))
        raw: dict[str, Any] = {"name": name, "pipeline": None, "metadata": {}, "tags": None}
        if answer is not None:
            raw["pipeline"], raw["metadata"] = answer["pipeline"], answer.get("metadata", {})
            arn = raw["metadata"].get("pipelineArn") or _arn(ctx, name)
            raw["tags"] = ctx.tags_for(arn, "ListTagsForResource", lambda a=arn: cp.list_tags_for_resource(
                resourceArn=a).get("tags", []))
        raw["executions"] = ctx.soft("ListPipelineExecutions", _executions, cp, name, ctx, default=[])
        raw["revision_times"] = _revision_times(cp, name, raw["pipeline"], raw["executions"], ctx)
        out.append(raw)
    return out


def _revision_times(cp: Any, name: str, pipeline: Mapping[str, Any] | None, executions: list[Mapping[str, Any]],
                    ctx: Ctx) -> dict[str, Any]:
    """Commit time per execution id.

    An execution the previous snapshot has (finished, or with a time) keeps its stored time. The
    others' commits, for a CodeCommit source, are read from the repository in batches
    (`_commit_times`). What is left (other sources, commits the repository did not give) costs
    GetPipelineExecution per execution, `artifactRevisions[].created`
    (https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_GetPipelineExecution.html):
    all of them when the previous snapshot has the pipeline's executions, else only the
    `ctx.revision_lookups` most recent (a first crawl). A failed lookup is one errors row and ends
    the pipeline's lookups (a denied action would fail them all)."""
    before = {r["execution_id"]: r for r in ctx.previous.get("pipeline_executions", [])
              if r.get("pipeline_name") == name}
    times: dict[str, Any] = {}
    todo = []
    for e in executions:  # newest first
        old = before.get(e["pipelineExecutionId"])
        if old is not None and (old.get("source_revision_time") is not None or old.get("status") not in RUNNING):
            times[e["pipelineExecutionId"]] = old.get("source_revision_time")
        else:
            todo.append(e)
    source = codecommit_source(pipeline, ctx.account_id) if pipeline else None
    if source is not None and todo:
        times.update(_commit_times(ctx, source, todo))
        todo = [e for e in todo if e["pipelineExecutionId"] not in times]
    if not before:
        todo = todo[:ctx.revision_lookups]
    for e in todo:
        exec_id = e["pipelineExecutionId"]
        try:
            answer = cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=exec_id)
        except AWS_ERRORS as exc:
            ctx.error(exc, "GetPipelineExecution")
            break
        times[exec_id] = revision_time(answer["pipelineExecution"], _revision(e).get("revisionId"))
    return times


def codecommit_source(pipeline: Mapping[str, Any], account_id: str) -> tuple[str, str, str | None] | None:
    """(action name, repository, region or None for the pipeline's) of the pipeline's first source
    action when it reads a CodeCommit repository of this account; None otherwise: another provider,
    or a repository of another account (the action assumes a role there), whose commits this
    account cannot read (pure)."""
    for stage in pipeline.get("stages") or []:
        for action in stage.get("actions") or []:
            type_id = action.get("actionTypeId") or {}
            if type_id.get("category") != "Source":
                continue
            repo = (action.get("configuration") or {}).get("RepositoryName")
            role_account = arn_account(str(action.get("roleArn") or "")) or account_id
            if type_id.get("provider") != "CodeCommit" or not repo or role_account != account_id:
                return None
            return str(action["name"]), str(repo), action.get("region")
    return None


def _commit_times(ctx: Ctx, source: tuple[str, str, str | None], executions: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Commit time per execution id from the source repository: BatchGetCommits
    (https://docs.aws.amazon.com/codecommit/latest/APIReference/API_BatchGetCommits.html), the
    committer date, COMMITS_PER_CALL commits per call. Only executions whose first source revision
    is this action's count. A failed call is an errors row; its executions go without (the caller
    falls back to GetPipelineExecution); a commit in `errors` (not found) likewise."""
    action, repo, region = source
    wanted: dict[str, list[str]] = {}
    for e in executions:
        revision = _revision(e)
        if revision.get("revisionId") and revision.get("actionName", action) == action:
            wanted.setdefault(revision["revisionId"], []).append(e["pipelineExecutionId"])
    cc = ctx.client("codecommit", region)  # the action's region, else the pipeline's
    answers = ctx.each("BatchGetCommits", chunks(list(wanted), COMMITS_PER_CALL), lambda ids: cc.batch_get_commits(
        repositoryName=repo, commitIds=list(ids)).get("commits") or [])
    out: dict[str, Any] = {}
    for commit in (c for part in answers for c in part):
        when = git_time((commit.get("committer") or commit.get("author") or {}).get("date"))
        for exec_id in wanted.get(commit.get("commitId", ""), []) if when else []:
            out[exec_id] = when
    return out


def git_time(date: str | None) -> datetime | None:
    """CodeCommit's UserInfo.date, "timestamp format with GMT offset" as Git writes it
    (`1484167798 -0800`: Unix seconds, then the committer's zone), as a UTC time; None when absent
    or unreadable (pure)."""
    try:
        return datetime.fromtimestamp(int(str(date).split()[0]), UTC)
    except (ValueError, IndexError, OverflowError, OSError):
        return None


def revision_time(execution: Mapping[str, Any], revision_id: str | None) -> Any:
    """`created` of the artifact revision the source saw (the one with its revision id, else the
    first that has a time), or None — pure."""
    revisions = [r for r in execution.get("artifactRevisions") or [] if r.get("created")]
    match = [r for r in revisions if revision_id and r.get("revisionId") == revision_id]
    return (match or revisions or [{}])[0].get("created")


def commit_message(summary: str | None) -> str | None:
    """The first line of a source revision summary: a commit message, or (connections) the
    `CommitMessage` of the JSON `{"ProviderType": ..., "CommitMessage": ...}` it holds — pure."""
    if not summary:
        return None
    text = summary.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            text = str(data.get("CommitMessage") or "").strip()
    first = text.splitlines()[0].strip() if text else ""
    return first[:MESSAGE_CHARS] or None


def _executions(cp: Any, name: str, ctx: Ctx) -> list[dict[str, Any]]:
    """Executions newest first; stop paging once they are older than the window."""
    out: list[dict[str, Any]] = []
    for page in paginate(cp, "list_pipeline_executions", pipelineName=name):
        summaries = page.get("pipelineExecutionSummaries", [])
        out.extend(s for s in summaries if ctx.in_window(s.get("startTime")))
        if summaries and all(s.get("startTime") and s["startTime"] < ctx.since for s in summaries):
            break
    return out


def _arn(ctx: Ctx, name: str) -> str:
    return ctx.arn("codepipeline", name)


def _env_names(value: Any) -> tuple[str, list[dict[str, str]]]:
    """A CodeBuild action's EnvironmentVariables JSON -> (names and types as JSON, the variables)."""
    try:
        variables = [v for v in json.loads(value) if isinstance(v, dict) and v.get("name")]
    except (TypeError, ValueError):
        return SECRET_MASK, []
    kept = [{"name": str(v["name"]), "type": str(v.get("type", "PLAINTEXT"))} for v in variables]
    return json.dumps(kept), kept


def clean_config(provider: str, config: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(the configuration to keep, PLAINTEXT environment variable names) — pure.

    Allow-listed keys keep their value (URLs without credentials); `EnvironmentVariables` keeps
    names and types; any other key keeps its name only."""
    safe = SAFE_KEYS.get(provider, frozenset())
    out: dict[str, Any] = {}
    plaintext: list[str] = []
    for key, value in sorted(config.items()):
        if key == "EnvironmentVariables":
            out[key], variables = _env_names(value)
            plaintext += [v["name"] for v in variables if v["type"] == "PLAINTEXT"]
        elif key in safe:
            out[key] = strip_credentials(value) if isinstance(value, str) else value
        else:
            out[key] = SECRET_MASK
    return out, plaintext


def clean_pipeline(pipeline: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The pipeline with every action's configuration cleaned, and its PLAINTEXT variable names."""
    stages, plaintext = [], []
    for stage in pipeline["stages"]:
        actions = []
        for action in stage["actions"]:
            config, names = clean_config(action["actionTypeId"]["provider"], action.get("configuration") or {})
            actions.append({**action, "configuration": config})
            plaintext += names
        stages.append({**stage, "actions": actions})
    return {**pipeline, "stages": stages}, plaintext


# Source providers that detect changes through their connection unless `DetectChanges` is "false"
# (https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodestarConnectionSource.html:
# "DetectChanges ... Default: true").
DETECTS_BY_DEFAULT = frozenset({"CodeStarSourceConnection"})


def source_trigger(provider: str, config: Mapping[str, Any]) -> str | None:
    """How a source action starts its pipeline by itself: detect-changes | poll | None (pure).

    A connection source without `DetectChanges` detects changes (the documented default);
    `PollForSourceChanges` (CodeCommit, S3, GitHub v1) polls only when "true". CodeCommit, S3 and ECR
    sources are otherwise started by EventBridge rules, which the CodePipeline API does not show."""
    if "DetectChanges" in config or provider in DETECTS_BY_DEFAULT:
        return "detect-changes" if str(config.get("DetectChanges", "true")).lower() == "true" else None
    return "poll" if str(config.get("PollForSourceChanges", "")).lower() == "true" else None


def normalise(pipeline: Mapping[str, Any]) -> dict[str, Any]:
    """Stages/actions -> the pipeline columns (pure)."""
    out: dict[str, Any] = {"source_provider": None, "source_repository": None, "source_branch": None,
                           "source_connection_arn": None, "build_providers": [], "deploy_providers": [], "deploy_stack_names": [],
                           "codebuild_projects": [], "codedeploy_targets": [], "manual_approvals": 0,
                           "triggers": []}
    for stage in pipeline["stages"]:
        for action in stage["actions"]:
            type_id = action["actionTypeId"]
            category, provider = type_id["category"], type_id["provider"]
            config = action.get("configuration", {}) or {}
            if category == "Source" and out["source_provider"] is None:
                out["source_provider"] = provider
                repo = next((config[k] for k in SOURCE_REPO_KEYS if config.get(k)), None)
                if provider == "GitHub" and config.get("Owner"):
                    repo = f"{config['Owner']}/{config.get('Repo', '')}"
                if provider == "S3" and config.get("S3ObjectKey"):
                    repo = f"{config['S3Bucket']}/{config['S3ObjectKey']}"
                out["source_repository"] = repo
                out["source_branch"] = config.get("BranchName") or config.get("Branch") or config.get("ImageTag")
                if "ConnectionArn" in SAFE_KEYS.get(provider, ()):  # its provider: the connections table
                    out["source_connection_arn"] = config.get("ConnectionArn")
                trigger = source_trigger(provider, config)
                if trigger:
                    out["triggers"].append(trigger)
            if category == "Build":
                out["build_providers"].append(provider)
            if category == "Deploy":
                out["deploy_providers"].append(provider)
                if provider.startswith("CloudFormation") and config.get("StackName"):
                    out["deploy_stack_names"].append(config["StackName"])
                if provider.startswith("CodeDeploy") and config.get("ApplicationName"):
                    group = config.get("DeploymentGroupName", "")
                    out["codedeploy_targets"].append(f"{config['ApplicationName']}/{group}")
            if provider == "CodeBuild" and config.get("ProjectName"):
                out["codebuild_projects"].append(config["ProjectName"])
            if category == "Approval" and provider == "Manual":
                out["manual_approvals"] += 1
    for trigger in pipeline.get("triggers", []) or []:
        out["triggers"].append(f"{trigger.get('providerType', 'trigger')}".lower())
    for key in ("build_providers", "deploy_providers", "deploy_stack_names", "codebuild_projects",
                "codedeploy_targets", "triggers"):
        out[key] = list(dict.fromkeys(out[key]))
    return out


def transform(raws: list[Mapping[str, Any]], ctx: Ctx) -> Rows:
    pipelines, actions, executions, findings = [], [], [], []
    for raw in raws:
        raw_pipeline, meta, name = raw["pipeline"], raw["metadata"], raw["name"]
        executions.extend(_execution_rows(raw.get("executions", []), name, ctx, raw.get("revision_times", {})))
        if raw_pipeline is None:  # GetPipeline failed: its error row says so; the executions stand on their own
            continue
        p, plaintext = clean_pipeline(raw_pipeline)  # nothing below sees a raw configuration
        arn = meta.get("pipelineArn") or _arn(ctx, name)
        findings += secret_findings(ctx.where, "codepipeline", arn, name, plaintext)
        pipelines.append(resource_row(
            ctx, arn, name, raw.get("tags"), tag_key="key", tag_value="value",
            pipeline_type=p.get("pipelineType", "V1"), role_arn=p.get("roleArn"),
            stage_names=[s["name"] for s in p["stages"]], **normalise(p),
            created=meta.get("created"), updated=meta.get("updated"),
        ))
        for index, stage in enumerate(p["stages"]):
            for action in stage["actions"]:
                t = action["actionTypeId"]
                actions.append({**ctx.where, "pipeline_name": name, "stage": stage["name"], "stage_index": index,
                                "action": action["name"], "category": t["category"], "owner": t["owner"],
                                "provider": t["provider"],
                                "configuration": json.dumps(action["configuration"])})
    return {"pipelines": pipelines, "pipeline_actions": actions, "pipeline_executions": executions,
            "findings": findings}


def _revision(summary: Mapping[str, Any]) -> Mapping[str, Any]:
    return (summary.get("sourceRevisions") or [{}])[0]


def _execution_rows(summaries: list[Mapping[str, Any]], name: str, ctx: Ctx,
                    times: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for e in summaries:
        revision = _revision(e)
        trigger = e.get("trigger") or {}
        done = e.get("status") not in RUNNING
        rows.append({**ctx.where, "pipeline_name": name, "execution_id": e["pipelineExecutionId"],
                     "status": e.get("status"), "start_time": e.get("startTime"),
                     "end_time": e.get("lastUpdateTime") if done else None,
                     "trigger_type": trigger.get("triggerType"), "trigger_detail": trigger.get("triggerDetail"),
                     "source_revision": revision.get("revisionId"),
                     "source_revision_time": times.get(e["pipelineExecutionId"]),
                     "source_revision_summary": commit_message(revision.get("revisionSummary"))})
    return rows


def collect(ctx: Ctx) -> Rows:
    return transform(get_pipelines(ctx), ctx)


COLLECTOR = Collector(
    "codepipeline", collect, ("pipelines", "pipeline_actions", "pipeline_executions", "findings"),
    operations("codepipeline", "ListPipelines", "GetPipeline", "ListTagsForResource", "ListPipelineExecutions",
               "GetPipelineExecution") + operations("codecommit", "BatchGetCommits"),
    bulk_tags=("codepipeline",), reuses=("pipeline_executions",),
)
