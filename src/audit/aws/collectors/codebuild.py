"""CodeBuild: projects (BatchGetProjects by 100) and builds of the last N days (ListBuilds page by
page, newest first, + BatchGetBuilds by 100, stopping past the window).

Environment variables keep names and types only; a PLAINTEXT variable whose name looks secret
becomes a finding without its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import (
    Collector,
    Ctx,
    Rows,
    chunks,
    operations,
    pages,
    resource_row,
    secret_findings,
)
from audit.urls import strip_credentials


def get_projects(ctx: Ctx) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Projects and builds are independent chains; each batch fails alone."""
    cb = ctx.client("codebuild")
    names = ctx.soft("ListProjects", pages, cb, "list_projects", "projects", default=[])
    parts = ctx.each("BatchGetProjects", chunks(names, 100),
                     lambda part: cb.batch_get_projects(names=list(part)).get("projects", []))
    builds = ctx.soft("ListBuilds", _builds, cb, ctx, default=[])
    return [p for part in parts for p in part], builds


def _builds(cb: Any, ctx: Ctx) -> list[dict[str, Any]]:
    """Builds of the window: ListBuilds (every project, newest first) page by page, BatchGetBuilds
    by 100 per page, stopping at the first page whose builds are all older than the window.

    `sortOrder` goes on the first page only: AWS rejects it together with `nextToken`
    (InvalidInputException "Sort order can't be specified when passing a nextToken",
    https://docs.aws.amazon.com/codebuild/latest/APIReference/API_ListBuilds.html), which botocore's
    paginator would send on every page. A failed batch loses its builds only."""
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"sortOrder": "DESCENDING"}
    while True:
        page = cb.list_builds(**params)
        ids = page.get("ids", []) or []
        older = bool(ids)
        for part in chunks(ids, 100):
            builds = ctx.soft("BatchGetBuilds", lambda p=part: cb.batch_get_builds(ids=list(p)).get("builds", []),
                              default=[])
            out.extend(b for b in builds if ctx.in_window(b.get("startTime")))
            older = older and all(b.get("startTime") and b["startTime"] < ctx.since for b in builds)
        token = page.get("nextToken")
        if not token or older:
            return out
        params = {"nextToken": token}


def _location(location: str | None) -> str | None:
    """A source location without credentials (`https://user:token@host/...`, query tokens)."""
    return strip_credentials(location) if location else location


def buildspec_kind(spec: str | None) -> tuple[str, str | None]:
    """inline | file | default, and the file path when it is a file."""
    if not spec or not spec.strip():
        return "default", "buildspec.yml"
    if "\n" in spec or spec.lstrip().startswith(("version", "{")):
        return "inline", None
    return "file", spec.strip()


def transform(projects: list[Mapping[str, Any]], builds: list[Mapping[str, Any]], ctx: Ctx) -> Rows:
    rows, findings = [], []
    for p in projects:
        env = p.get("environment", {}) or {}
        variables = env.get("environmentVariables", []) or []
        kind, path = buildspec_kind((p.get("source") or {}).get("buildspec"))
        rows.append(resource_row(
            ctx, p["arn"], p["name"], p.get("tags"), tag_key="key", tag_value="value",
            source_type=p["source"]["type"], source_location=_location(p["source"].get("location")),
            image=env.get("image"), compute_type=env.get("computeType"), environment_type=env.get("type"),
            buildspec_kind=kind, buildspec_path=path,
            env_var_names=[v["name"] for v in variables],
            env_var_types=[v.get("type", "PLAINTEXT") for v in variables],
            service_role=p.get("serviceRole"), webhook=bool(p.get("webhook")),
            last_modified=p.get("lastModified"),
        ))
        plain = [v["name"] for v in variables if v.get("type", "PLAINTEXT") == "PLAINTEXT"]
        findings += secret_findings(ctx.where, "codebuild", p["arn"], p["name"], plain)
    build_rows = [{
        **ctx.where, "project_name": b.get("projectName"), "build_id": b["id"], "status": b.get("buildStatus"),
        "start_time": b.get("startTime"), "end_time": b.get("endTime"), "initiator": b.get("initiator"),
        "source_version": b.get("resolvedSourceVersion") or b.get("sourceVersion"),
    } for b in builds]
    return {"codebuild_projects": rows, "codebuild_builds": build_rows, "findings": findings}


def collect(ctx: Ctx) -> Rows:
    return transform(*get_projects(ctx), ctx)


COLLECTOR = Collector(
    "codebuild", collect, ("codebuild_projects", "codebuild_builds", "findings"),
    operations("codebuild", "ListProjects", "BatchGetProjects", "ListBuilds", "BatchGetBuilds"),
)
