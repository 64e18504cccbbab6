from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from tests.aws.collectors.helpers import collect_counting

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


def _history(account, project: str, starts: list) -> list[str]:
    """Finished builds written into moto's backend (as the demo history does), in an account whose
    ListBuilds pages like AWS (`fleet_paging`, demo/moto_patches.py)."""
    from moto.codebuild.models import codebuild_backends
    from moto.core.utils import iso_8601_datetime_with_milliseconds as iso

    from audit.demo import moto_patches

    moto_patches.install()
    backend = codebuild_backends[account.account_id]["eu-west-1"]
    backend.fleet_paging = True
    ids = []
    for n, start in enumerate(starts):
        build_id = f"{project}:{n:08d}-0000-4000-8000-000000000000"
        backend.build_history[project].append(build_id)
        backend.build_metadata_history[project].append({
            "id": build_id, "projectName": project, "buildStatus": "SUCCEEDED", "buildComplete": True,
            "startTime": iso(start), "endTime": iso(start + timedelta(minutes=5)), "currentPhase": "COMPLETED"})
        ids.append(build_id)
    return ids


def test_list_builds_rejects_sort_order_with_a_next_token_like_aws(account) -> None:
    """Real AWS: InvalidInputException "Sort order can't be specified when passing a nextToken"
    (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_ListBuilds.html); the fleet's moto
    says so too, and the collector pages past the first page without it."""
    _project(account, "many", [])
    now = datetime.now(UTC)
    ids = _history(account, "many", [now - timedelta(hours=n) for n in range(230)])  # 3 pages
    cb = account.boto("codebuild")
    first = cb.list_builds(sortOrder="DESCENDING")
    assert first["ids"][0] == ids[0] and len(first["ids"]) == 100 and first["nextToken"]
    with pytest.raises(ClientError) as info:
        cb.list_builds(sortOrder="DESCENDING", nextToken=first["nextToken"])
    assert info.value.response["Error"]["Code"] == "InvalidInputException"
    assert "Sort order can't be specified when passing a nextToken" in str(info.value)
    rows, errors = account.collect("codebuild")
    assert errors == []
    assert sorted(b["build_id"] for b in rows["codebuild_builds"]) == sorted(ids)


def test_build_paging_stops_at_the_history_window(account) -> None:
    """Builds are listed newest first: once a whole page is older than the window, paging stops
    instead of reading the account's whole history."""
    _project(account, "old", [])
    now = datetime.now(UTC)
    recent = [now - timedelta(days=d) for d in range(1, 21)]  # inside the 30-day window
    ancient = [now - timedelta(days=40 + d) for d in range(600)]  # 6 pages beyond it
    ids = _history(account, "old", recent + ancient)
    ctx = account.ctx("codebuild")
    rows, calls = collect_counting(ctx, "codebuild")
    assert ctx.errors == []
    assert sorted(b["build_id"] for b in rows["codebuild_builds"]) == sorted(ids[:20])
    # page 1 holds the 20 recent builds and 80 old ones, page 2 only old ones: stop there (of 7 pages)
    assert calls["ListBuilds"] == 2 and calls["BatchGetBuilds"] == 2
