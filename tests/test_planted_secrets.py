"""Nothing secret leaves a client account: plant a distinct value everywhere real AWS keeps secrets
(../shared/REAL_AWS_NOTES.md "Secrets hide in more places"), run the whole weekly job through the
CLI, and grep everything it wrote or printed.

The planted clients are a second set of fleet accounts (another model seed) seeded through the
fleet's own toolkit into the session fleet's moto server, so the session fleet's accounts and
expected counts stay untouched. Planted: secret-keyed tags on every resource the fleet tags (and
on accounts.yaml clients), extra keys in every pipeline action of every provider the fleet uses
(CodeBuild EnvironmentVariables, CloudFormation ParameterOverrides, Lambda UserParameters,
approval CustomData and an ExternalEntityLink with credentials, an unknown key each), the fleet's
own build/function/task/Beanstalk secrets, a CodeBuild project with credentials in its source and
secondary source URLs, a task definition's environment and secrets, stack parameters and outputs,
a trust-policy condition, and repos.yaml URLs with userinfo (served by an authenticating git
server) and a query token.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

import audit
from audit.demo import baseline as demo_baseline
from audit.demo import seed as demo_seed
from audit.demo import teams as demo_teams
from audit.demo.configs import write_accounts, write_repos
from audit.demo.model import build_model
from audit.demo.populate import seed_fleet
from audit.demo.seed import Ctx
from audit.store.snapshots import open_snapshot
from repos.gitserver import serve_git

pytestmark = pytest.mark.slow
PLANT_SEED = 4343  # another model seed: other account ids than the session fleet's


class Planter:
    """Hands out distinct, greppable values and remembers them."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def __call__(self, where: str) -> str:
        value = f"plnt{len(self.values):04d}{where}zq"
        self.values.append(value)
        return value


def _planting_action(plant: Planter, original: Any) -> Any:
    def action(name: str, category: str, provider: str, config: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {"PlantedKey": plant(f"act{provider[:6]}")}
        if provider == "CodeBuild":
            extra["EnvironmentVariables"] = json.dumps([
                {"name": "DEPLOY_TOKEN", "value": plant("cbenvtok"), "type": "PLAINTEXT"},
                {"name": "BUILD_LABEL", "value": plant("cbenvlabel"), "type": "PLAINTEXT"},
                {"name": "NPM_TOKEN", "value": plant("cbenvssm"), "type": "PARAMETER_STORE"}])
        if provider.startswith("CloudFormation"):
            extra["ParameterOverrides"] = json.dumps({"DbPassword": plant("cfnover")})
        if provider == "Lambda":
            extra["UserParameters"] = plant("lamuser")
        if provider == "Manual":
            extra["CustomData"] = plant("custom")
            extra["ExternalEntityLink"] = f"https://approver:{plant('linkpw')}@wiki.example.com/x?token={plant('linkq')}"
        if provider == "GitHub":
            extra["OAuthToken"] = plant("oauth")
        return original(name, category, provider, {**config, **extra}, **kwargs)

    return action


def _planting_tags(plant: Planter, original: Any) -> Any:
    def tags(spec: Any, team: str, **extra: str) -> dict[str, str]:
        return {**original(spec, team, **extra), "password": plant("tagpw"), "api_token": plant("tagtok"),
                "private_key": plant("tagpk")}

    return tags


def _plant_resources(plant: Planter, account_id: str) -> Any:
    """A seeding step: the places the fleet's team seeders do not cover (in one account)."""

    def step(ctx: Ctx) -> None:
        if ctx.acct != account_id:
            return
        role = ctx.role("plnt-trusting", {"AWS": "arn:aws:iam::111111111111:root"}, "ops",
                        condition={"StringEquals": {"sts:ExternalId": plant("extid")}})
        ctx.c("codebuild").create_project(
            name="plnt-build", serviceRole=role, artifacts={"type": "NO_ARTIFACTS"},
            source={"type": "GITHUB", "location":
                    f"https://ci-bot:{plant('srcpw')}@github.com/consultancy/plnt.git?private_token={plant('srcq')}"},
            secondarySources=[{"type": "GITHUB", "sourceIdentifier": "extra",
                               "location": f"https://x:{plant('src2pw')}@github.com/consultancy/extra.git"}],
            environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                         "computeType": "BUILD_GENERAL1_SMALL", "environmentVariables": [
                             {"name": "DB_PASSWORD", "value": plant("cbpw"), "type": "PLAINTEXT"},
                             {"name": "APP_MODE", "value": plant("cbmode"), "type": "PLAINTEXT"},
                             {"name": "DB_SECRET", "value": plant("cbsm"), "type": "SECRETS_MANAGER"}]},
            tags=demo_seed.tag_list(demo_seed.tags(ctx.spec, "ops"), "key", "value"))
        ctx.c("lambda").create_function(
            FunctionName="plnt-fn", Runtime="python3.12", Role=role, Handler="app.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
            Environment={"Variables": {"API_KEY": plant("fnkey"), "LOG_LEVEL": plant("fnlog")}},
            Tags=demo_seed.tags(ctx.spec, "ops"))
        ecs = ctx.c("ecs")
        ecs.create_cluster(clusterName="plnt-cluster")
        ecs.register_task_definition(family="plnt-task", containerDefinitions=[{
            "name": "app", "image": "nginx:1", "memory": 128,
            "environment": [{"name": "DB_PASSWORD", "value": plant("taskpw")},
                            {"name": "REGION_NAME", "value": plant("taskregion")}],
            "secrets": [{"name": "API_SECRET", "valueFrom": f"arn:aws:ssm:{ctx.region}:{ctx.acct}:parameter/"
                                                            f"{plant('taskref')}"}]}])
        ecs.create_service(cluster="plnt-cluster", serviceName="plnt-svc", taskDefinition="plnt-task",
                           desiredCount=0, tags=demo_seed.tag_list(demo_seed.tags(ctx.spec, "ops"), "key", "value"))
        template = {"Parameters": {"DbPassword": {"Type": "String", "Default": plant("cfndefault")}},
                    "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
                    "Outputs": {"Token": {"Value": plant("cfnoutput")}}}
        ctx.c("cloudformation").create_stack(StackName="plnt-stack", TemplateBody=json.dumps(template),
                                             Parameters=[{"ParameterKey": "DbPassword",
                                                          "ParameterValue": plant("cfnparam")}])

    return step


def _texts(folder: Path) -> list[tuple[str, str]]:
    """Every file under `folder` as text (parquet decoded), plus every file name."""
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            text = json.dumps(pq.read_table(path).to_pylist(), default=str)
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
        out.append((str(path), text + "\n" + str(path)))
    return out


@pytest.fixture(scope="module")
def planted_week(fleet, tmp_path_factory, monkeypatch_module) -> dict[str, Any]:
    plant = Planter()
    work = tmp_path_factory.mktemp("planted")
    session_ids = {c.account_id for c in fleet.model.clients}
    model = build_model(4, seed=PLANT_SEED, regions=fleet.model.regions)
    assert not session_ids & {c.account_id for c in model.clients}
    model = dataclasses.replace(model, assume_role_denied=frozenset(), denied=frozenset())
    monkeypatch_module.setattr(demo_seed, "tags", _planting_tags(plant, demo_seed.tags))
    monkeypatch_module.setattr(demo_teams, "tags", demo_seed.tags)
    monkeypatch_module.setattr(demo_baseline, "tags", demo_seed.tags)
    monkeypatch_module.setattr(demo_teams, "_action", _planting_action(plant, demo_teams._action))
    steps = [demo_baseline.seed_baseline, demo_teams.seed_web, demo_teams.seed_data, demo_teams.seed_java,
             demo_teams.seed_ops, _plant_resources(plant, model.clients[0].account_id)]
    seeded = seed_fleet(fleet.endpoint_url, model, seeders=steps)
    monkeypatch_module.undo()
    for s in seeded.values():
        plant.values += s.secrets  # the fleet's own build, task, function and Beanstalk secrets

    config = work / "config"
    config.mkdir()
    accounts = yaml.safe_load(write_accounts(config, model, fleet.endpoint_url).read_text())
    for client in accounts["clients"]:
        client["tags"] = {**client["tags"], "api_token": plant("clienttag")}
    (config / "accounts.yaml").write_text(yaml.safe_dump(accounts))
    repos = yaml.safe_load(write_repos(config, model).read_text())
    for entry in repos["repositories"]:
        entry["path"] = str(fleet.out / entry["path"])
    served = work / "served"
    served.mkdir()
    first = repos["repositories"][0]
    subprocess.run(["git", "clone", "-q", "--bare", first["path"], str(served / "app.git")], check=True)
    user, password, query = plant("gituser"), plant("gitpw"), plant("gitq")
    with serve_git(served, user, password) as port:
        repos["repositories"] += [
            {"name": "plnt-authed", "team": first["team"], "url": f"http://{user}:{password}@127.0.0.1:{port}/app.git"},
            {"name": "plnt-query", "team": first["team"], "url": f"http://127.0.0.1:{port}/app.git?private_token={query}"}]
        (config / "repos.yaml").write_text(yaml.safe_dump(repos))
        shutil.copy(fleet.out / "catalog.yaml", config / "catalog.yaml")
        shutil.copytree(fleet.out / "survey", config / "survey")
        inputs = {config / "accounts.yaml", config / "repos.yaml"}
        env = {**os.environ, "PYTHONPATH": str(Path(audit.__file__).parents[1]), "COLUMNS": "200"}
        proc = subprocess.run([sys.executable, "-m", "audit", "-vv", "weekly", "--config", str(config),
                               "--out", str(work / "reports")], env=env, capture_output=True, text=True,
                              timeout=900, cwd=work)
    texts = [(p, t) for p, t in _texts(work) if Path(p) not in inputs and not p.startswith(str(served))]
    texts += [("stdout", proc.stdout), ("stderr", proc.stderr)]
    return {"plant": plant, "proc": proc, "texts": texts, "config": config, "seeded": seeded}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_no_planted_value_is_stored_logged_or_printed(planted_week) -> None:
    proc, plant = planted_week["proc"], planted_week["plant"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    report_files = [p for p, _ in planted_week["texts"] if p.endswith((".ipynb", ".html", ".parquet"))]
    assert any(p.endswith(".ipynb") for p in report_files) and any(p.endswith(".parquet") for p in report_files)
    texts = dict(planted_week["texts"])
    assert any("/.cache/repos/app-" in p and p.endswith("/config") for p in texts)  # the clone cache is grepped
    found = sorted({v for v in plant.values for _, text in planted_week["texts"] if v in text})
    where = {v: sorted({p.rsplit("/", 2)[-1] for p, t in planted_week["texts"] if v in t})[:3] for v in found[:20]}
    print(f"\nplanted-secrets: {len(found)} of {len(set(plant.values))} planted values found")
    assert found == [], f"{len(found)} of {len(set(plant.values))} planted values found: {where}"


def test_the_planted_places_were_read_and_kept_as_names(planted_week) -> None:
    """The zero above means something: the crawl and the scan really read every planted place."""
    snap = open_snapshot(planted_week["config"])
    for table in ("pipelines", "codebuild_projects", "lambda_functions", "ecs_services", "iam_roles", "s3_buckets"):
        tags = [json.loads(t) for t in snap.table(table)["tags"]]
        assert tags and all(t.get("password") == "<masked>" for t in tags if "password" in t), table
        assert any("password" in t for t in tags), table
    configs = [json.loads(c) for c in snap.table("pipeline_actions")["configuration"]]
    assert configs and all(c.get("PlantedKey") == "<masked>" for c in configs)
    assert any("DEPLOY_TOKEN" in c.get("EnvironmentVariables", "") for c in configs)
    repos = snap.table("repos").set_index("repo")
    assert repos.loc["plnt-authed", "status"] == "ok" and repos.loc["plnt-authed", "file_count"] > 0
    assert repos.loc["plnt-query", "status"] == "failed"
    accounts = snap.table("accounts")
    assert all(json.loads(t)["api_token"] == "<masked>" for t in accounts["tags"])


def test_each_secret_looking_plaintext_variable_is_a_finding(planted_week) -> None:
    snap = open_snapshot(planted_week["config"])
    findings = snap.table("findings")
    got = {(r.collector, r.resource_name, r.detail) for r in findings.itertuples()
           if r.kind == "plaintext-secret-variable"}
    expected = {("codebuild", "plnt-build", "DB_PASSWORD"), ("lambda", "plnt-fn", "API_KEY"),
                ("ecs", "plnt-svc", "DB_PASSWORD")}
    pipelines = snap.table("pipeline_actions")
    expected |= {("codepipeline", name, "DEPLOY_TOKEN")
                 for name in set(pipelines[pipelines["provider"] == "CodeBuild"]["pipeline_name"])}
    fleet_own = {(resource, detail) for s in planted_week["seeded"].values() for kind, _, _, resource, detail
                 in s.findings if kind == "plaintext-secret-variable"}
    assert expected - got == set()
    assert fleet_own - {(r, d) for _, r, d in got} == set()
    assert not {d for _, _, d in got} & {"BUILD_LABEL", "APP_MODE", "LOG_LEVEL", "REGION_NAME", "NPM_TOKEN"}
