"""Twelve weeks of delivery history, read back through boto3: sprint-end releases, hotfixes,
failures, rollbacks, and revisions that name real commits of the generated repositories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from audit.demo.configs import SPRINTS
from audit.demo.releases import WEEKDAYS, sprint_releases


@pytest.fixture(scope="module")
def history(fleet, assume_in):
    """Every execution, build and deployment of the fleet's reachable accounts, via boto3."""
    out = {"executions": [], "builds": [], "deployments": []}
    denied = set(fleet.faults["assume_role_denied"])
    for spec in fleet.model.clients:
        if spec.account_id in denied:
            continue
        session = assume_in(fleet, spec.account_id, spec.home_region)
        cp = session.client("codepipeline", endpoint_url=fleet.endpoint_url)
        for p in cp.list_pipelines()["pipelines"]:
            for e in cp.list_pipeline_executions(pipelineName=p["name"])["pipelineExecutionSummaries"]:
                detail = cp.get_pipeline_execution(pipelineName=p["name"], pipelineExecutionId=e["pipelineExecutionId"])
                out["executions"].append({**e, "pipeline": p["name"], "client": spec.name,
                                          "artifacts": detail["pipelineExecution"]["artifactRevisions"]})
        cb = session.client("codebuild", endpoint_url=fleet.endpoint_url)
        ids = [i for page in cb.get_paginator("list_builds").paginate() for i in page["ids"]]  # pages of 100
        for i in range(0, len(ids), 100):
            out["builds"] += cb.batch_get_builds(ids=ids[i:i + 100])["builds"]
        cd = session.client("codedeploy", endpoint_url=fleet.endpoint_url)
        dids = cd.list_deployments()["deployments"]
        for i in range(0, len(dids), 25):
            out["deployments"] += cd.batch_get_deployments(deploymentIds=dids[i:i + 25])["deploymentsInfo"]
    return out


def test_history_spans_twelve_weeks_ending_now(fleet, history):
    starts = [e["startTime"] for e in history["executions"]]
    now = datetime.now(UTC)
    assert min(starts) >= now - timedelta(weeks=12, hours=1)
    assert min(starts) <= now - timedelta(weeks=10)
    assert max(starts) >= now - timedelta(weeks=2)
    assert max(starts) <= now
    assert sum(fleet.expected[a]["pipeline_executions"] for a in fleet.expected) == len(history["executions"])


def test_sprint_end_and_hotfix_releases_follow_the_survey_calendar(fleet, history):
    by_sha = {sha: (repo, tag) for repo, plan in fleet.releases.items() for tag, sha in plan.shas.items()}
    kinds = {(repo, r.tag): r.kind for repo, plan in fleet.releases.items() for r in plan.releases}
    seen = {"sprint-end": 0, "hotfix": 0}
    for e in history["executions"]:
        rev = e["sourceRevisions"][0]["revisionId"]
        if rev in by_sha:
            seen[kinds[by_sha[rev]]] += 1
    assert seen["sprint-end"] >= 10 and seen["hotfix"] >= 3
    for repo, plan in fleet.releases.items():
        team = plan.team
        weekday = WEEKDAYS.index(SPRINTS[team]["release_weekday"])
        ends = {d for _, d in sprint_releases(team, date(2026, 1, 1), date.today())}
        for r in plan.releases:
            on_release_day = r.released_at.date() in ends
            assert on_release_day == (r.kind == "sprint-end"), (repo, r.tag)
            if r.kind == "sprint-end":
                assert r.released_at.weekday() == weekday


def test_failures_rollbacks_and_restores_are_present(history):
    statuses = {e["status"] for e in history["executions"]}
    assert statuses == {"Succeeded", "Failed"}
    assert any(e["trigger"]["triggerType"] == "ManualRollback" and e.get("executionType") == "ROLLBACK"
               for e in history["executions"])
    assert any(e["trigger"]["triggerType"] == "StartPipelineExecution" for e in history["executions"])
    assert {b["buildStatus"] for b in history["builds"]} == {"SUCCEEDED", "FAILED"}
    assert all(b["endTime"] > b["startTime"] for b in history["builds"])
    creators = {d["creator"] for d in history["deployments"]}
    assert {"user", "codeDeployRollback"} <= creators
    failed = [d for d in history["deployments"] if d["status"] == "Failed"]
    assert failed and all(d["errorInformation"]["code"] for d in failed)
    rolled = [d for d in history["deployments"] if d["creator"] == "codeDeployRollback"]
    assert all(d["rollbackInfo"]["rollbackTriggeringDeploymentId"] in {f["deploymentId"] for f in failed}
               for d in rolled)


def test_revisions_name_real_commits_with_their_times(fleet, history):
    commits = {}
    for plan in fleet.releases.values():
        for r in plan.releases:
            commits[r.sha(plan)] = r.commit.when
    git_sourced = [e for e in history["executions"] if len(e["sourceRevisions"][0]["revisionId"]) == 40]
    assert git_sourced
    for e in git_sourced:
        art = e["artifacts"][0]
        assert art["revisionId"] in commits
        assert art["created"] == commits[art["revisionId"]]
        assert art["created"] < e["startTime"]
