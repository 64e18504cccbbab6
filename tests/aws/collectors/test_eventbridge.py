"""EventBridge rules that start pipelines: CodeCommit/S3/ECR sources are triggered through them."""

from __future__ import annotations

import json

from tests.aws.collectors.helpers import pipeline_action

from audit.aws.managed import fill_event_triggers

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _codecommit_pipeline(account, name: str) -> str:
    role = account.boto("iam", "us-east-1").create_role(RoleName=f"{name}-role",
                                                        AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    account.boto("codepipeline").create_pipeline(pipeline={
        "name": name, "roleArn": role, "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": [
            {"name": "Source", "actions": [pipeline_action("Src", "Source", "CodeCommit", {
                "RepositoryName": "svc", "BranchName": "main", "PollForSourceChanges": "false"})]},
            {"name": "Build", "actions": [pipeline_action("Build", "Build", "CodeBuild", {"ProjectName": "svc-build"})]},
        ]})
    return role


def test_rules_targeting_pipelines_make_their_sources_triggered(account) -> None:
    role = _codecommit_pipeline(account, "svc")
    _codecommit_pipeline(account, "quiet")
    events = account.boto("events")
    pattern = {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
               "detail": {"referenceName": ["main"]}}
    arn = f"arn:aws:codepipeline:eu-west-1:{account.account_id}:svc"
    events.put_rule(Name="svc-source", EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule="svc-source", Targets=[{"Id": "p", "Arn": arn, "RoleArn": role}])
    events.put_rule(Name="nightly", ScheduleExpression="cron(0 2 * * ? *)", State="DISABLED")
    events.put_targets(Rule="nightly", Targets=[{"Id": "p", "Arn": arn.replace(":svc", ":quiet"), "RoleArn": role}])
    events.put_rule(Name="not-a-pipeline", EventPattern=json.dumps({"source": ["aws.ec2"]}))
    events.put_targets(Rule="not-a-pipeline", Targets=[
        {"Id": "f", "Arn": f"arn:aws:lambda:eu-west-1:{account.account_id}:function:f"}])

    rows, errors = account.collect("eventbridge")
    assert errors == []
    by_rule = {r["rule_name"]: r for r in rows["pipeline_event_rules"]}
    assert set(by_rule) == {"svc-source", "nightly"}  # only rules whose targets are pipelines
    svc = by_rule["svc-source"]
    assert (svc["pipeline_name"], svc["pipeline_arn"], svc["state"]) == ("svc", arn, "ENABLED")
    assert svc["event_sources"] == ["aws.codecommit"]
    assert svc["detail_types"] == ["CodeCommit Repository State Change"] and svc["schedule"] is None
    assert by_rule["nightly"]["schedule"] == "cron(0 2 * * ? *)" and by_rule["nightly"]["state"] == "DISABLED"

    pipelines, errors = account.collect("codepipeline")
    assert errors == []
    tables = {**pipelines, **rows}
    fill_event_triggers(tables)
    triggers = {p["name"]: p["triggers"] for p in tables["pipelines"]}
    assert triggers == {"svc": ["eventbridge"], "quiet": []}  # a disabled rule starts nothing


def test_fleet_codecommit_and_s3_sources_are_started_by_eventbridge(fleet_snapshot) -> None:
    from audit.store.snapshots import open_snapshot

    snap = open_snapshot(fleet_snapshot.snapshot_dir)
    pipelines = snap.table("pipelines")
    ruled = pipelines[pipelines["source_provider"].isin(["CodeCommit", "S3", "ECR"])]
    assert len(ruled) > 0
    assert all("eventbridge" in list(t) for t in ruled["triggers"])
    assert all(len(t) > 0 for t in pipelines["triggers"])  # every fleet pipeline starts by itself
    assert set(snap.table("pipeline_event_rules")["event_sources"].map(tuple)) >= {("aws.codecommit",), ("aws.s3",)}
