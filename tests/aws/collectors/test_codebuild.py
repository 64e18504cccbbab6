from __future__ import annotations

import json

ROLE = "arn:aws:iam::{}:role/cb"


def _project(account, name: str, env: list[dict], buildspec: str | None = None) -> None:
    source = {"type": "GITHUB", "location": f"https://github.com/acme/{name}.git"}
    if buildspec is not None:
        source["buildspec"] = buildspec
    account.boto("codebuild").create_project(
        name=name, source=source, artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL", "environmentVariables": env},
        serviceRole=ROLE.format(account.account_id), tags=[{"key": "team", "value": "web"}])


def test_projects_keep_names_and_types_never_values(account) -> None:
    secret = "hunter2-plaintext-value"
    _project(account, "web-build", [
        {"name": "DB_PASSWORD", "value": secret, "type": "PLAINTEXT"},
        {"name": "NODE_ENV", "value": "production", "type": "PLAINTEXT"},
        {"name": "API_TOKEN", "value": "/prod/token", "type": "PARAMETER_STORE"},
    ], buildspec="version: 0.2\nphases: {}\n")
    _project(account, "api-build", [], buildspec="ci/buildspec.yml")
    rows, errors = account.collect("codebuild")
    assert errors == []
    assert secret not in json.dumps(rows, default=str)
    assert "/prod/token" not in json.dumps(rows, default=str)
    by_name = {r["name"]: r for r in rows["codebuild_projects"]}
    web = by_name["web-build"]
    assert web["env_var_names"] == ["DB_PASSWORD", "NODE_ENV", "API_TOKEN"]
    assert web["env_var_types"] == ["PLAINTEXT", "PLAINTEXT", "PARAMETER_STORE"]
    assert web["buildspec_kind"] == "inline" and web["image"] == "aws/codebuild/standard:7.0"
    assert json.loads(web["tags"]) == {"team": "web"}
    assert web["source_location"] == "https://github.com/acme/web-build.git"
    assert (by_name["api-build"]["buildspec_kind"], by_name["api-build"]["buildspec_path"]) == ("file", "ci/buildspec.yml")
    # only the PLAINTEXT secret-looking name is a finding, without its value
    assert [(f["kind"], f["detail"]) for f in rows["findings"]] == [("plaintext-secret-variable", "DB_PASSWORD")]


def test_builds_of_the_window_via_batch_get(account) -> None:
    _project(account, "svc", [])
    cb = account.boto("codebuild")
    ids = [cb.start_build(projectName="svc")["build"]["id"] for _ in range(3)]
    calls_before = account.aws.counter.total
    rows, errors = account.collect("codebuild")
    assert errors == []
    assert sorted(b["build_id"] for b in rows["codebuild_builds"]) == sorted(ids)
    # list_projects + batch_get_projects + list_builds_for_project + batch_get_builds (+ AssumeRole once)
    assert account.aws.counter.total - calls_before <= 5


def test_empty_account_is_empty_not_an_error(account) -> None:
    rows, errors = account.collect("codebuild")
    assert errors == [] and rows["codebuild_projects"] == [] and rows["codebuild_builds"] == []


def test_source_locations_lose_their_credentials(account) -> None:
    cb = account.boto("codebuild")
    cb.create_project(name="creds", source={"type": "GITHUB",
                                            "location": "https://bot:pb-token@github.com/acme/web.git?access_token=pb-q"},
                      artifacts={"type": "NO_ARTIFACTS"},
                      environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                                   "computeType": "BUILD_GENERAL1_SMALL"},
                      serviceRole=f"arn:aws:iam::{account.account_id}:role/cb",
                      tags=[{"key": "private_key", "value": "pb-tag"}])
    rows, errors = account.collect("codebuild")
    (p,) = rows["codebuild_projects"]
    assert p["source_location"] == "https://github.com/acme/web.git?access_token=<redacted>"
    assert json.loads(p["tags"]) == {"private_key": "<masked>"}
    assert "pb-" not in json.dumps(rows, default=str)
