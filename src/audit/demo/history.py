"""Twelve weeks of delivery history, written into moto's in-process backends.

moto starts every pipeline execution, build and deployment "now" and cannot store their past (see
MOTO_NOTES.md), so history is written straight into the backend objects, shaped exactly as the API
returns it: CodePipeline executions (with trigger, source revision and commit time), CodeBuild
builds (with status and times) and CodeDeploy deployments (with failures and automatic rollbacks).
The crawler reads all of it back over HTTP through boto3.

Each client deploys each release of the repository its pipeline builds (`releases.py`): sprint-end
releases on release day, most hotfixes within the hour; some executions fail (build or deploy) and
are restored by a re-run or, on V2 web pipelines, a rollback execution.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.core.utils import iso_8601_datetime_with_milliseconds

from audit.demo import backend_fixes, moto_patches
from audit.demo.model import ORG, FleetModel
from audit.demo.releases import Release, RepoPlan, plan_releases
from audit.demo.seed import PipelineSeed, Seeded

FAIL_RATE = {"web": 0.12, "data": 0.1, "java": 0.18, "ops": 0.1}


def seed_history(model: FleetModel, seeded: dict[str, Seeded], *, weeks: int,
                 plans: dict[str, RepoPlan] | None = None, now: datetime | None = None) -> dict[str, RepoPlan]:
    """Backdate executions, builds and deployments for every seeded pipeline; returns the plans used."""
    moto_patches.install()
    now = now or datetime.now(UTC)
    plans = plans or plan_releases(model, now, weeks)
    specs = {c.account_id: c for c in model.clients}
    for acct, result in seeded.items():
        for pipe in result.pipelines:
            plan = plans.get(pipe.repo or "legacy-admin")
            if plan is None:
                continue
            _History(pipe, plan, specs[acct].index, model.seed, result, now).run()
    return plans


class _History:
    """The executions of one pipeline over the window."""

    def __init__(self, pipe: PipelineSeed, plan: RepoPlan, index: int, seed: int, out: Seeded,
                 now: datetime) -> None:
        self.pipe, self.plan, self.index, self.out, self.now = pipe, plan, index, out, now
        self.rng = random.Random(f"{seed}:{pipe.account_id}:{pipe.name}")
        from moto.codebuild.models import codebuild_backends
        from moto.codedeploy.models import codedeploy_backends
        from moto.codepipeline.models import codepipeline_backends

        self.pipeline = codepipeline_backends[pipe.account_id][pipe.region].pipelines[pipe.name]
        self.builds = codebuild_backends[pipe.account_id][pipe.region]
        self.builds.fleet_paging = True  # ListBuilds pages and sorts like AWS (moto_patches)
        self.deploys = codedeploy_backends[pipe.account_id][pipe.region]
        self.v2 = self.pipeline.pipeline.get("pipelineType") == "V2"

    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def run(self) -> None:
        last_good: tuple[Release, str] | None = None
        for n, rel in enumerate(self.plan.releases):
            if rel.kind == "hotfix" and self.rng.random() < 0.25:
                continue  # this client did not take the hotfix
            lag = timedelta(minutes=5 + (self.index % 5) * 9 + self.rng.randint(0, 20))
            start = rel.released_at + lag
            if start > self.now - timedelta(minutes=30):
                continue
            failed = self.rng.random() < FAIL_RATE[self.pipe.team]
            stage = self.rng.choice(["build", "deploy", "deploy"]) if failed else None
            if self.index == 2 and n == 3:  # every fleet shows a failed deploy (and its rollback)
                failed, stage = True, "deploy"
            end, exec_id = self._execute(rel, start, trigger=self._trigger(), fail=stage)
            if not failed:
                last_good = (rel, exec_id)
                continue
            # restore: a rollback execution (V2) or a re-run after a fix
            if self.v2 and stage == "deploy" and last_good is not None:
                back = end + timedelta(minutes=self.rng.randint(20, 90))
                if back < self.now:
                    self._execute(last_good[0], back, trigger=("ManualRollback", "rollback by on-call"),
                                  rollback_target=last_good[1])
            retry = end + timedelta(hours=self.rng.randint(2, 20))
            if retry < self.now - timedelta(minutes=30):
                _, exec_id = self._execute(rel, retry, trigger=(
                    "StartPipelineExecution", f"arn:aws:sts::{self.pipe.account_id}:assumed-role/"
                                              "ConsultancyOpsAccess/on-call"))
                last_good = (rel, exec_id)
        # ListPipelineExecutions answers newest first from insertion order: keep it chronological
        ordered = sorted(self.pipeline.executions.values(), key=lambda e: e.start_time)
        self.pipeline.executions.clear()
        self.pipeline.executions.update((e.pipeline_execution_id, e) for e in ordered)

    def _trigger(self) -> tuple[str, str]:
        p = self.pipe
        if p.source_provider == "CodeStarSourceConnection":
            return ("WebhookV2" if self.v2 else "Webhook"), f"arn:aws:codestar-connections:{p.region}:{p.account_id}:connection/github"
        return "CloudWatchEvent", f"arn:aws:events:{p.region}:{p.account_id}:rule/{p.name}-source"

    def _revision(self, rel: Release) -> dict[str, Any]:
        """What the source action saw: commit id and time (git), or object version and upload time (S3)."""
        commit = rel.commit
        sha = rel.sha(self.plan)
        repo = self.plan.repo
        if self.pipe.source_provider == "S3":
            uploaded = rel.released_at + timedelta(minutes=2)
            return {"revisionId": f"{sha[:16]}.{rel.tag}", "revisionSummary": f"{repo} {rel.tag} ({sha[:7]})",
                    "created": uploaded, "revisionUrl": None}
        if self.pipe.source_provider == "CodeCommit":  # the repository holds the commit (BatchGetCommits)
            backend_fixes.codecommit_commit(self.pipe.account_id, self.pipe.region, repo, sha, commit.message,
                                            commit.when)
            return {"revisionId": sha, "revisionSummary": commit.message, "created": commit.when,
                    "revisionUrl": f"https://{self.pipe.region}.console.aws.amazon.com/codesuite/codecommit/"
                                   f"repositories/{repo}/commit/{sha}"}
        return {"revisionId": sha, "created": commit.when,
                "revisionSummary": f'{{"ProviderType":"GitHub","CommitMessage":"{commit.message}"}}',
                "revisionUrl": f"https://github.com/{ORG}/{repo}/commit/{sha}"}

    def _execute(self, rel: Release, start: datetime, *, trigger: tuple[str, str], fail: str | None = None,
                 rollback_target: str | None = None) -> tuple[datetime, str]:
        """One execution with its build (and deployment); returns when it ended and its id."""
        rng, p = self.rng, self.pipe
        revision = self._revision(rel)
        build_start = start + timedelta(seconds=rng.randint(30, 90))
        build_end = build_start + timedelta(minutes=rng.randint(3, 9), seconds=rng.randint(0, 59))
        self._build(build_start, build_end, "FAILED" if fail == "build" else "SUCCEEDED", revision["revisionId"])
        if fail != "build" and not rollback_target:
            self._push_image(rel, build_end)
        end = build_end
        if fail != "build":
            deploy_start = build_end + timedelta(seconds=rng.randint(20, 60))
            if any(s["name"] == "Approve" for s in self.pipeline.pipeline["stages"]) and not rollback_target:
                deploy_start += timedelta(minutes=rng.randint(10, 180))  # waiting for the approver
            end = deploy_start + timedelta(minutes=rng.randint(4, 15))
            if p.codedeploy is not None:
                end = self._deployment(deploy_start, end, failed=fail == "deploy", revision=revision["revisionId"])
        end = min(end, self.now - timedelta(minutes=1))
        status = "Failed" if fail else "Succeeded"
        execution = moto_patches.FleetExecution(
            pipeline_name=p.name, pipeline_version=self.pipeline.pipeline["version"], execution_id=self._id(),
            status=status, start=start, end=end, trigger=trigger, revision=revision, rollback_target=rollback_target,
            summary=f"{rel.tag} failed in {fail}" if fail else None)
        self.pipeline.executions[execution.pipeline_execution_id] = execution
        self.out.add("pipeline_executions", p.region)
        return end, execution.pipeline_execution_id

    def _push_image(self, rel: Release, pushed: datetime) -> None:
        """Web builds push the release image to the client's ECR repository (one image per tag)."""
        if self.pipe.team != "web" or self.pipe.repo is None:
            return
        from moto.ecr.models import ecr_backends

        backend = ecr_backends[self.pipe.account_id][self.pipe.region]
        repo = backend.repositories.get(self.pipe.repo)
        if repo is None or any(rel.tag in img.image_tags for img in repo.images):
            return
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                               "config": {"digest": "sha256:" + hashlib.sha256(f"{self.pipe.name}@{rel.tag}".encode())
                                          .hexdigest(), "size": 1470,
                                          "mediaType": "application/vnd.docker.container.image.v1+json"},
                               "layers": []})
        image = backend.put_image(self.pipe.repo, manifest, rel.tag)
        image.image_pushed_at = int(pushed.timestamp())

    def _build(self, start: datetime, end: datetime, status: str, source_version: str) -> None:
        p, project = self.pipe, self.pipe.build_project
        build_id = f"{project}:{self._id()}"
        iso = iso_8601_datetime_with_milliseconds
        meta = {
            "id": build_id, "arn": f"arn:aws:codebuild:{p.region}:{p.account_id}:build/{build_id}",
            "buildNumber": len(self.builds.build_history[project]) + 1,
            "startTime": iso(start), "endTime": iso(end), "currentPhase": "COMPLETED", "buildStatus": status,
            "sourceVersion": source_version, "resolvedSourceVersion": source_version, "projectName": project,
            "phases": [{"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED", "startTime": iso(start),
                        "endTime": iso(start), "durationInSeconds": 0},
                       {"phaseType": "BUILD", "phaseStatus": status, "startTime": iso(start), "endTime": iso(end),
                        "durationInSeconds": int((end - start).total_seconds())}],
            "source": {"type": "CODEPIPELINE", "buildspec": "buildspec.yml"},
            "artifacts": {"location": ""}, "environment": {"type": "LINUX_CONTAINER"},
            "initiator": f"codepipeline/{p.name}", "buildComplete": True,
            "serviceRole": f"arn:aws:iam::{p.account_id}:role/{p.team}-codebuild-role",
        }
        self.builds.build_history[project].append(build_id)
        self.builds.build_metadata_history[project].append(meta)
        self.out.add("codebuild_builds", p.region)

    def _deployment(self, start: datetime, end: datetime, *, failed: bool, revision: str) -> datetime:
        from moto.codedeploy.models import DeploymentInfo

        app_name, group_name = self.pipe.codedeploy  # type: ignore[misc]
        app = self.deploys.applications[app_name]
        group = self.deploys.deployment_groups[app_name][group_name]
        kind = {"revisionType": "S3", "s3Location": {"bucket": "codepipeline", "key": revision,
                                                      "bundleType": "zip"}}

        def make(creator: str, status: str, t0: datetime, t1: datetime, description: str) -> DeploymentInfo:
            d = DeploymentInfo(app, group, kind, group.deployment_config_name, description, None, None,
                               group.auto_rollback_configuration, None, None, None, creator)
            d.deployment_id = f"d-{self.rng.randrange(16**9):09X}"
            d.status, d.create_time, d.start_time, d.complete_time = status, t0, t0, t1
            d.deployment_overview = {"Pending": 0, "InProgress": 0, "Succeeded": int(status == "Succeeded"),
                                     "Failed": int(status == "Failed"), "Skipped": 0, "Ready": 0}
            self.deploys.deployments[d.deployment_id] = d
            self.out.add("codedeploy_deployments", self.pipe.region)
            return d

        first = make("user", "Failed" if failed else "Succeeded", start, end, f"CodePipeline {self.pipe.name}")
        if failed:
            first.fleet_error = {"code": "HEALTH_CONSTRAINTS", "message": "The overall deployment failed because "
                                 "too many individual instances failed deployment"}
            if group.auto_rollback_configuration.get("enabled"):
                back_end = end + timedelta(minutes=self.rng.randint(3, 8))
                rb = make("codeDeployRollback", "Succeeded", end, back_end, f"Rollback of {first.deployment_id}")
                rb.fleet_rollback_info = {"rollbackTriggeringDeploymentId": first.deployment_id,
                                          "rollbackMessage": "Automatic rollback after deployment failure"}
                first.fleet_rollback_info = {"rollbackDeploymentId": rb.deployment_id,
                                             "rollbackMessage": "Deployment failed; rolled back automatically"}
                end = back_end
        return end
