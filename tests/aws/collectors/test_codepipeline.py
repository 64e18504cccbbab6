from __future__ import annotations

import json

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _action(name: str, category: str, provider: str, config: dict, owner: str = "AWS") -> dict:
    return {"name": name, "actionTypeId": {"category": category, "owner": owner, "provider": provider, "version": "1"},
            "configuration": config, "runOrder": 1,
            **({"outputArtifacts": [{"name": "src"}]} if category == "Source" else {"inputArtifacts": [{"name": "src"}]})}


def seed_pipeline(account, name: str = "web-pipeline") -> str:
    role = account.boto("iam", "us-east-1").create_role(RoleName=f"{name}-role",
                                                        AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    account.boto("codepipeline").create_pipeline(pipeline={
        "name": name, "roleArn": role, "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": [
            {"name": "Source", "actions": [_action("Src", "Source", "CodeStarSourceConnection", {
                "ConnectionArn": "arn:aws:codestar-connections:eu-west-1:1:connection/x",
                "FullRepositoryId": "acme/web", "BranchName": "main", "OAuthToken": "should-be-dropped"})]},
            {"name": "Build", "actions": [_action("Build", "Build", "CodeBuild", {"ProjectName": "web-build"})]},
            {"name": "Approve", "actions": [_action("Ok", "Approval", "Manual", {})]},
            {"name": "Deploy", "actions": [_action("Deploy", "Deploy", "CloudFormation", {
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
            {"name": "Source", "actions": [_action("Src", "Source", "GitHub", {
                "Owner": "acme", "Repo": "web", "Branch": "main", "OAuthToken": "pv-oauth"}, owner="ThirdParty")]},
            {"name": "Build", "actions": [_action("Build", "Build", "CodeBuild", {
                "ProjectName": "b", "EnvironmentVariables": json.dumps(env), "Mystery": "pv-unknown"})]},
            {"name": "Approve", "actions": [_action("Ok", "Approval", "Manual", {
                "CustomData": "pv-custom", "ExternalEntityLink": "https://bot:pv-link-pass@wiki.example.com/x?token=pv-q"})]},
            {"name": "Deploy", "actions": [
                _action("Deploy", "Deploy", "CloudFormation", {"ActionMode": "CREATE_UPDATE", "StackName": "s",
                                                               "ParameterOverrides": '{"DbPassword": "pv-override"}'}),
                _action("Hook", "Invoke", "Lambda", {"FunctionName": "f", "UserParameters": "pv-user-params"})]},
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
