from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.aws.collectors.helpers import collect_counting, pipeline_action

from audit.config.accounts import REVISION_LOOKUPS

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def seed_pipeline(account, name: str = "web-pipeline") -> str:
    role = account.boto("iam", "us-east-1").create_role(RoleName=f"{name}-role",
                                                        AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    account.boto("codepipeline").create_pipeline(pipeline={
        "name": name, "roleArn": role, "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": [
            {"name": "Source", "actions": [pipeline_action("Src", "Source", "CodeStarSourceConnection", {
                "ConnectionArn": "arn:aws:codestar-connections:eu-west-1:1:connection/x",
                "FullRepositoryId": "acme/web", "BranchName": "main", "OAuthToken": "should-be-dropped"})]},
            {"name": "Build", "actions": [pipeline_action("Build", "Build", "CodeBuild", {"ProjectName": "web-build"})]},
            {"name": "Approve", "actions": [pipeline_action("Ok", "Approval", "Manual", {})]},
            {"name": "Deploy", "actions": [pipeline_action("Deploy", "Deploy", "CloudFormation", {
                "ActionMode": "CREATE_UPDATE", "StackName": "web-stack"})]},
        ]}, tags=[{"key": "team", "value": "web"}])
    return role


def test_pipeline_is_normalised(account) -> None:
    role = seed_pipeline(account)
    account.boto("codepipeline").start_pipeline_execution(name="web-pipeline")
    rows, errors = account.collect("codepipeline")
    assert errors == []
    (p,) = rows["pipelines"]
    assert (p["source_provider"], p["source_repository"], p["source_branch"]) == (
        "CodeStarSourceConnection", "acme/web", "main")
    assert p["build_providers"] == ["CodeBuild"] and p["codebuild_projects"] == ["web-build"]
    assert p["deploy_providers"] == ["CloudFormation"] and p["deploy_stack_names"] == ["web-stack"]
    assert p["manual_approvals"] == 1 and p["role_arn"] == role
    assert p["stage_names"] == ["Source", "Build", "Approve", "Deploy"]
    assert json.loads(p["tags"]) == {"team": "web"}
    assert p["arn"].endswith(":web-pipeline")
    assert len(rows["pipeline_actions"]) == 4
    assert "should-be-dropped" not in json.dumps(rows, default=str)
    (execution,) = rows["pipeline_executions"]
    assert execution["pipeline_name"] == "web-pipeline" and execution["start_time"] is not None


def test_action_configuration_keeps_an_allow_list_per_provider(account) -> None:
    """What a real action configuration can carry (AWS action structure reference): PLAINTEXT build
    variables, parameter overrides, user parameters, approval text and links with credentials."""
    role = account.boto("iam", "us-east-1").create_role(RoleName="p-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    env = [{"name": "DB_PASSWORD", "value": "pv-build-plain", "type": "PLAINTEXT"},
           {"name": "STAGE", "value": "pv-stage-value", "type": "PLAINTEXT"},
           {"name": "API_TOKEN", "value": "/ssm/pv-param-path", "type": "PARAMETER_STORE"}]
    account.boto("codepipeline").create_pipeline(pipeline={
        "name": "allow", "roleArn": role["Role"]["Arn"], "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": [
            {"name": "Source", "actions": [pipeline_action("Src", "Source", "GitHub", {
                "Owner": "acme", "Repo": "web", "Branch": "main", "OAuthToken": "pv-oauth"}, owner="ThirdParty")]},
            {"name": "Build", "actions": [pipeline_action("Build", "Build", "CodeBuild", {
                "ProjectName": "b", "EnvironmentVariables": json.dumps(env), "Mystery": "pv-unknown"})]},
            {"name": "Approve", "actions": [pipeline_action("Ok", "Approval", "Manual", {
                "CustomData": "pv-custom", "ExternalEntityLink": "https://bot:pv-link-pass@wiki.example.com/x?token=pv-q"})]},
            {"name": "Deploy", "actions": [
                pipeline_action("Deploy", "Deploy", "CloudFormation", {"ActionMode": "CREATE_UPDATE", "StackName": "s",
                                                               "ParameterOverrides": '{"DbPassword": "pv-override"}'}),
                pipeline_action("Hook", "Invoke", "Lambda", {"FunctionName": "f", "UserParameters": "pv-user-params"})]},
        ]}, tags=[{"key": "api_token", "value": "pv-tag"}, {"key": "team", "value": "web"}])
    rows, errors = account.collect("codepipeline")
    assert errors == []
    assert "pv-" not in json.dumps(rows, default=str)
    by_action = {a["action"]: json.loads(a["configuration"]) for a in rows["pipeline_actions"]}
    assert by_action["Src"] == {"Owner": "acme", "Repo": "web", "Branch": "main", "OAuthToken": "<masked>"}
    assert by_action["Build"] == {"ProjectName": "b", "Mystery": "<masked>", "EnvironmentVariables": json.dumps(
        [{"name": "DB_PASSWORD", "type": "PLAINTEXT"}, {"name": "STAGE", "type": "PLAINTEXT"},
         {"name": "API_TOKEN", "type": "PARAMETER_STORE"}])}
    assert by_action["Ok"] == {"CustomData": "<masked>",
                               "ExternalEntityLink": "https://wiki.example.com/x?token=<redacted>"}
    assert by_action["Deploy"]["ParameterOverrides"] == "<masked>" and by_action["Deploy"]["StackName"] == "s"
    assert by_action["Hook"] == {"FunctionName": "f", "UserParameters": "<masked>"}
    (p,) = rows["pipelines"]
    assert json.loads(p["tags"]) == {"api_token": "<masked>", "team": "web"}
    assert p["source_repository"] == "acme/web" and p["deploy_stack_names"] == ["s"]
    assert [(f["resource_name"], f["kind"], f["detail"]) for f in rows["findings"]] == [
        ("allow", "plaintext-secret-variable", "DB_PASSWORD")]  # STAGE is not secret, API_TOKEN not plaintext


def test_connection_sources_detect_changes_unless_told_not_to() -> None:
    """A CodeStarSourceConnection source without DetectChanges is triggered: the documented default is
    true (https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodestarConnectionSource.html).
    PollForSourceChanges polls only when "true"."""
    from audit.aws.collectors.codepipeline import source_trigger

    arn = {"ConnectionArn": "arn:aws:codestar-connections:eu-west-1:1:connection/x", "FullRepositoryId": "a/b"}
    assert source_trigger("CodeStarSourceConnection", arn) == "detect-changes"
    assert source_trigger("CodeStarSourceConnection", {**arn, "DetectChanges": "false"}) is None
    assert source_trigger("CodeStarSourceConnection", {**arn, "DetectChanges": "true"}) == "detect-changes"
    assert source_trigger("CodeCommit", {"RepositoryName": "r"}) is None  # started by an EventBridge rule
    assert source_trigger("CodeCommit", {"RepositoryName": "r", "PollForSourceChanges": "true"}) == "poll"
    assert source_trigger("S3", {"S3Bucket": "b", "PollForSourceChanges": "false"}) is None


def test_connection_source_without_detect_changes_reads_as_triggered(account) -> None:
    seed_pipeline(account)  # its connection source sets no DetectChanges
    rows, errors = account.collect("codepipeline")
    assert errors == []
    (p,) = rows["pipelines"]
    assert p["triggers"] == ["detect-changes"]


def _executions(account, name: str, count: int, *, first: int = 0) -> dict[str, tuple]:
    """Finished executions written into moto's backend (moto's own start "now", without revisions;
    the fleet's FleetExecution answers like AWS: sourceRevisions with revisionSummary in
    ListPipelineExecutions, artifactRevisions with created in GetPipelineExecution). Returns
    execution id -> (commit time, message)."""
    from moto.codepipeline.models import codepipeline_backends

    from audit.demo.moto_patches import FleetExecution

    pipeline = codepipeline_backends[account.account_id]["eu-west-1"].pipelines[name]
    now = datetime.now(UTC).replace(microsecond=0)
    out = {}
    for n in range(first, first + count):
        start = now - timedelta(days=20) + timedelta(hours=n)
        commit = start - timedelta(minutes=30 + n)
        message = f"hotfix: crash number {n}" if n % 3 == 0 else f"release: sprint {n} v1.{n}.0"
        summary = json.dumps({"ProviderType": "GitHub", "CommitMessage": f"{message}\n\nlonger body"})
        e = FleetExecution(pipeline_name=name, pipeline_version=1, execution_id=f"exec-{n:04d}", status="Succeeded",
                           start=start, end=start + timedelta(minutes=9), trigger=("Webhook", "x"),
                           revision={"revisionId": f"{n:040x}", "revisionSummary": summary, "created": commit})
        pipeline.executions[e.pipeline_execution_id] = e
        out[e.pipeline_execution_id] = (commit, message)
    return out


def _collect_counting(account, previous=None):
    ctx = account.ctx("codepipeline")
    ctx.previous = previous or {}
    rows, calls = collect_counting(ctx, "codepipeline")
    assert ctx.errors == []
    return rows, calls["GetPipelineExecution"]


def test_commit_times_and_messages_are_bounded_by_the_previous_snapshot(account) -> None:
    """GetPipelineExecution is one call per execution: a first crawl looks up the REVISION_LOOKUPS
    (accounts.yaml's default) most recent of a pipeline, a later crawl only the executions the previous snapshot lacks, and copies the others'
    times into its own rows (the new snapshot stays complete)."""
    seed_pipeline(account)
    seeded = _executions(account, "web-pipeline", 15)
    rows, lookups = _collect_counting(account)
    assert lookups == REVISION_LOOKUPS
    by_id = {r["execution_id"]: r for r in rows["pipeline_executions"]}
    newest = sorted(seeded)[-REVISION_LOOKUPS:]
    assert {i: by_id[i]["source_revision_time"] for i in seeded} == {
        i: (seeded[i][0] if i in newest else None) for i in seeded}
    assert {i: by_id[i]["source_revision_summary"] for i in seeded} == {i: seeded[i][1] for i in seeded}
    # a week later: two new executions
    seeded |= _executions(account, "web-pipeline", 2, first=15)
    again, lookups = _collect_counting(account, {"pipeline_executions": rows["pipeline_executions"]})
    assert lookups == 2
    by_id = {r["execution_id"]: r for r in again["pipeline_executions"]}
    timed = sorted(seeded)[15 - REVISION_LOOKUPS:]
    assert {i: by_id[i]["source_revision_time"] for i in seeded} == {
        i: (seeded[i][0] if i in timed else None) for i in seeded}


def test_revision_summary_and_time_from_the_documented_shapes() -> None:
    """Shapes of https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineExecution.html
    (artifactRevisions[].created) and API_SourceRevision.html (revisionSummary: a commit message, or
    for connections a JSON object with CommitMessage)."""
    from audit.aws.collectors.codepipeline import commit_message, revision_time

    assert commit_message("Fix the thing\n\nBody text") == "Fix the thing"
    assert commit_message('{"ProviderType":"GitHub","CommitMessage":"hotfix: login"}') == "hotfix: login"
    assert commit_message('{"ProviderType":"Bitbucket"}') is None and commit_message(None) is None
    assert commit_message("x" * 1000) == "x" * 300
    t1, t2 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    execution = {"artifactRevisions": [{"name": "Tools", "revisionId": "aaa", "created": t1},
                                       {"name": "Source", "revisionId": "bbb", "created": t2}]}
    assert revision_time(execution, "bbb") == t2 and revision_time(execution, "zzz") == t1
    assert revision_time({"artifactRevisions": []}, "bbb") is None


def _codecommit_pipeline(account, name: str, count: int, *, fleet: bool = True, stored: int | None = None) -> dict:
    """A pipeline whose source is the CodeCommit repository `name`, with `count` finished executions
    (FleetExecution). A fleet repository (moto_patches answers BatchGetCommits for it) holds the
    first `stored` commits (all by default), each committed 30+ minutes before its execution.
    Returns execution id -> commit time."""
    from moto.codepipeline.models import codepipeline_backends

    from audit.demo import backend_fixes, moto_patches

    moto_patches.install()
    role = account.boto("iam", "us-east-1").create_role(RoleName=f"{name}-role",
                                                        AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    account.boto("codecommit").create_repository(repositoryName=name)
    if fleet:
        backend_fixes.codecommit_repository(account.account_id, "eu-west-1", name, {"team": "data"})
    account.boto("codepipeline").create_pipeline(pipeline={
        "name": name, "roleArn": role, "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": [
            {"name": "Source", "actions": [pipeline_action("Source", "Source", "CodeCommit", {
                "RepositoryName": name, "BranchName": "main"})]},
            {"name": "Build", "actions": [pipeline_action("Build", "Build", "CodeBuild", {"ProjectName": name})]}]})
    pipeline = codepipeline_backends[account.account_id]["eu-west-1"].pipelines[name]
    now = datetime.now(UTC).replace(microsecond=0)
    out = {}
    for n in range(count):
        start = now - timedelta(days=20) + timedelta(hours=n)
        commit, sha = start - timedelta(minutes=30 + n % 50), f"{n:040x}"
        if fleet and (stored is None or n < stored):
            backend_fixes.codecommit_commit(account.account_id, "eu-west-1", name, sha, f"change {n}", commit)
        e = moto_patches.FleetExecution(
            pipeline_name=name, pipeline_version=1, execution_id=f"exec-{n:04d}", status="Succeeded", start=start,
            end=start + timedelta(minutes=9), trigger=("CloudWatchEvent", "x"),
            revision={"revisionId": sha, "revisionSummary": f"change {n}", "created": commit})
        pipeline.executions[e.pipeline_execution_id] = e
        out[e.pipeline_execution_id] = commit
    return out


def test_codecommit_commit_times_come_from_the_repository_in_batches(account, monkeypatch) -> None:
    """A CodeCommit source's commits are read from its repository, COMMITS_PER_CALL per
    BatchGetCommits call (https://docs.aws.amazon.com/codecommit/latest/APIReference/API_BatchGetCommits.html;
    40 here, so moto's 100 listed executions take three batches): every execution of the window gets
    its time on a first crawl, not only the REVISION_LOOKUPS latest. A commit the repository does not
    return (`errors`) falls back to GetPipelineExecution."""
    from audit.aws.collectors import codepipeline

    monkeypatch.setattr(codepipeline, "COMMITS_PER_CALL", 40)
    seeded = _codecommit_pipeline(account, "orders", 100, stored=99)
    ctx = account.ctx("codepipeline")
    rows, calls = collect_counting(ctx, "codepipeline")
    assert ctx.errors == []
    assert (calls["BatchGetCommits"], calls["GetPipelineExecution"]) == (3, 1)
    by_id = {r["execution_id"]: r["source_revision_time"] for r in rows["pipeline_executions"]}
    assert by_id == seeded  # the last one's from GetPipelineExecution's artifactRevisions[].created
    assert {r["source_revision_summary"] for r in rows["pipeline_executions"]} == {f"change {n}" for n in range(100)}


def test_codecommit_batch_failing_falls_back_to_bounded_lookups(account) -> None:
    """Where BatchGetCommits fails (plain moto lacks it; in AWS a role without
    codecommit:BatchGetCommits) that is an errors row, and the executions get their time as before:
    GetPipelineExecution for the REVISION_LOOKUPS most recent."""
    seeded = _codecommit_pipeline(account, "billing", 10, fleet=False)
    ctx = account.ctx("codepipeline")
    rows, calls = collect_counting(ctx, "codepipeline")
    assert [(e["operation"], e["error_class"]) for e in ctx.errors] == [("BatchGetCommits", "not-implemented")]
    assert (calls["BatchGetCommits"], calls["GetPipelineExecution"]) == (1, REVISION_LOOKUPS)
    timed = {r["execution_id"]: r["source_revision_time"] for r in rows["pipeline_executions"]
             if r["source_revision_time"] is not None}
    assert timed == {i: seeded[i] for i in sorted(seeded)[-REVISION_LOOKUPS:]}


def test_codecommit_source_and_commit_date_from_the_documented_shapes() -> None:
    """CodeCommit's UserInfo.date is "timestamp format with GMT offset" (API_UserInfo.html; Git's
    `1484167798 -0800`); a source action with a roleArn in another account reads that account's
    repository (https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-cross-account.html),
    whose commits this account's role cannot read."""
    from audit.aws.collectors.codepipeline import codecommit_source, git_time

    assert git_time("1484167798 -0800") == datetime(2017, 1, 11, 20, 49, 58, tzinfo=UTC)
    assert git_time("1484167798") == datetime(2017, 1, 11, 20, 49, 58, tzinfo=UTC)
    assert git_time(None) is None and git_time("yesterday") is None and git_time("") is None

    def pipeline(provider: str, **action) -> dict:
        return {"stages": [{"name": "Source", "actions": [{**pipeline_action("Src", "Source", provider, {
            "RepositoryName": "orders"}), **action}]}]}

    assert codecommit_source(pipeline("CodeCommit"), "111122223333") == ("Src", "orders", None)
    assert codecommit_source(pipeline("CodeCommit", region="us-east-1"), "111122223333") == ("Src", "orders", "us-east-1")
    assert codecommit_source(pipeline("CodeCommit", roleArn="arn:aws:iam::111122223333:role/x"),
                             "111122223333") == ("Src", "orders", None)
    assert codecommit_source(pipeline("CodeCommit", roleArn="arn:aws:iam::444455556666:role/x"), "111122223333") is None
    assert codecommit_source(pipeline("ECR"), "111122223333") is None
