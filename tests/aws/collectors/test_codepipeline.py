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
