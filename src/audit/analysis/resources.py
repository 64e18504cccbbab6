"""What things run on, and who the resources say owns them: the raw material of deployable units.

    compute_resources      ECS services, functions, Beanstalk environments, EKS clusters, ASGs and
                           S3 websites, each with its owning stack (managed_by, decided by the crawler)
    stack_targets_by_type  target candidates of a stack from its resource types, when the resource
                           itself was not crawled (a nested stack's count for its root)
    top_level_stacks       live stacks that are not nested (nested_roots: nested -> root)
    tag_team               the `team` tag of a resource; resource_teams: ARN -> that tag
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pandas as pd

from audit.analysis import vocab
from audit.analysis.frames import Inventory, as_list, objectify, table
from audit.store.schema import RESOURCE_TYPES, TABLES, DeployTarget


def compute_resources(inv: Inventory) -> pd.DataFrame:
    """Every resource something runs on (ECS services, functions, environments, ASGs, websites)."""
    groups = table(inv, "codedeploy_groups")
    asg_deploy: dict[tuple, dict] = {}
    for g in groups.itertuples(index=False):
        for asg in as_list(g.autoscaling_groups):
            asg_deploy[(g.account_id, asg)] = {
                "strategy": vocab.strategy_of_codedeploy(g.deployment_type, g.deployment_config),
                "gates": "rollback-alarms" if g.auto_rollback and as_list(g.rollback_alarms) else None}
    parts = []

    def add(frame: pd.DataFrame, kind: str, target: str, strategy, artifact, gates=None, region=None) -> None:
        if frame.empty:
            return
        where = region if region is not None else frame["region"]
        parts.append(pd.DataFrame({
            "account_id": frame["account_id"].values, "client": frame["client"].values, "region": where.values,
            "rid": frame["arn"].where(frame["arn"].notna(), frame["name"]).values,
            "name": frame["name"].values, "kind": kind, "target": target, "strategy": strategy,
            "artifact": artifact, "gates": gates, "managed_by": frame["managed_by"].values,
            "tags": frame["tags"].values}))

    ecs = table(inv, "ecs_services")
    add(ecs, "service", "ecs",
        [vocab.strategy_of_ecs(c, s) for c, s in zip(ecs["deployment_controller"], ecs["deployment_strategy"],
                                                     strict=True)], "image",
        [_gates_of_ecs(b, a) for b, a in zip(ecs["rollback_on_failure"], ecs["rollback_alarms"], strict=True)])
    fns = table(inv, "lambda_functions")
    add(fns, "function", "lambda", "all-at-once",
        fns["package_type"].map({"Image": "image"}).fillna("zip").values)
    envs = table(inv, "beanstalk_environments")
    add(envs, "service", "beanstalk", [vocab.strategy_of_beanstalk(p) for p in envs["deployment_policy"]]
        if "deployment_policy" in envs.columns else vocab.UNKNOWN, "bundle")
    add(table(inv, "eks_clusters"), "service", "eks", "rolling", "image")
    asgs = table(inv, "autoscaling_groups")
    if not asgs.empty:
        info = [asg_deploy.get((a, n), {}) for a, n in zip(asgs["account_id"], asgs["name"], strict=True)]
        add(asgs, "service", "ec2", [i.get("strategy", "in-place") for i in info], "bundle",
            [i.get("gates") for i in info])
    buckets = table(inv, "s3_buckets")
    sites = buckets[buckets["website"] == True]  # noqa: E712
    add(sites, "service", "s3-static", "all-at-once", "static",
        region=sites["bucket_region"].where(sites["bucket_region"].notna(), sites["region"]))
    if not parts:
        return pd.DataFrame(columns=["account_id", "client", "region", "rid", "name", "kind", "target",
                                     "strategy", "artifact", "gates", "managed_by", "tags"])
    # managed_by is the crawler's (aws/managed.py: resource type AND physical id); never re-guessed here
    return objectify(pd.concat(parts, ignore_index=True))


def _gates_of_ecs(breaker: Any, alarms: Any) -> str | None:
    """An ECS service's rollback gates: the circuit breaker's rollback, alarms that roll back."""
    gates = [g for g, on in (("circuit-breaker", breaker is True), ("rollback-alarms", bool(as_list(alarms)))) if on]
    return " + ".join(gates) or None


# CloudFormation type -> where a stack's resource of that type deploys to, when the resource itself
# was not crawled (from the table declarations)
STACK_RESOURCE_TARGETS: dict[str, DeployTarget] = {
    cfn: kind.deploys_to for kind in RESOURCE_TYPES.values() if kind.deploys_to for cfn in kind.cfn_types}


def nested_roots(inv: Inventory) -> dict[tuple, str]:
    """(account, region, nested stack) -> its root stack: a nested stack's resources belong to the root."""
    st = table(inv, "stacks")
    return {(a, r, n): root for a, r, n, root in zip(st["account_id"], st["region"], st["name"], st["root_stack"],
                                                     strict=True) if isinstance(root, str) and root}


def top_level_stacks(inv: Inventory) -> pd.DataFrame:
    """Live stacks that are not nested: what counts as a stack (nested ones count as their root)."""
    st = table(inv, "stacks")
    return st[(st["status"].fillna("") != "DELETE_COMPLETE") & ~st["root_stack"].map(lambda v: isinstance(v, str) and bool(v))]


def stack_targets_by_type(inv: Inventory) -> dict[tuple, list[dict]]:
    """Per (account, region, stack): target candidates from its resource types (stack_resources)."""
    sres = table(inv, "stack_resources")
    root = nested_roots(inv)
    out: dict[tuple, list[dict]] = defaultdict(list)
    for a, r, s, t in zip(sres["account_id"].tolist(), sres["region"].tolist(), sres["stack_name"].tolist(),
                          sres["resource_type"].tolist(), strict=True):
        if t in STACK_RESOURCE_TARGETS:
            d = STACK_RESOURCE_TARGETS[t]
            out[(a, r, root.get((a, r, s), s))].append({"target": d.target, "strategy": d.strategy, "artifact": d.artifact, "gates": None})
    return out


def tag_team(tags: Any) -> str | None:
    if not isinstance(tags, str) or "team" not in tags.lower():
        return None
    try:
        data = json.loads(tags)
    except ValueError:
        return None
    for k, v in (data.items() if isinstance(data, dict) else []):
        if k.lower() == "team" and v:
            return str(v)
    return None


def resource_teams(inv: Inventory, units: pd.DataFrame | None = None) -> dict[str, str]:
    """ARN -> team of every crawled resource a catalog hit may name that is not a unit itself.

    First the team of the unit the resource belongs to (its stack's unit; the pipeline that runs a
    CodeBuild project or deploys a CodeDeploy group; the unit named like it), then its `team` tag.
    """
    unit_team: dict[tuple, str] = {}  # (account, stack | pipeline | unit name) -> team
    if units is not None and len(units):
        for a, name, pipe, stacks, team in zip(units["account_id"], units["name"], units["pipeline_name"],
                                               units["stack_name"], units["team"], strict=True):
            if not isinstance(team, str):
                continue
            for key in {name, pipe, *(stacks.split(",") if isinstance(stacks, str) else [])}:
                if isinstance(key, str) and key:
                    unit_team.setdefault((a, key), team)
    via_pipeline: dict[tuple, str] = {}  # (account, codebuild project | app/group) -> pipeline name
    pipes = table(inv, "pipelines")
    for a, pipe, projects, groups in zip(pipes["account_id"], pipes["name"], pipes["codebuild_projects"],
                                         pipes["codedeploy_targets"], strict=True):
        for key in [*as_list(projects), *as_list(groups)]:
            via_pipeline.setdefault((a, str(key)), pipe)
    out: dict[str, str] = {}
    for name, spec in TABLES.items():
        if spec.source != "crawl" or "arn" not in spec.column_names:
            continue
        frame = inv.get(name)
        if frame is None or frame.empty or "arn" not in frame.columns:
            continue
        frame = table(inv, name)
        keys = frame["name"].tolist()
        if name == "codedeploy_groups":
            keys = [f"{app}/{n}" for app, n in zip(frame["application_name"], frame["name"], strict=True)]
        for a, arn, key, plain, owner, tags in zip(frame["account_id"], frame["arn"], keys, frame["name"],
                                                   frame["managed_by"] if "managed_by" in frame else [None] * len(frame),
                                                   frame["tags"] if "tags" in frame else [None] * len(frame),
                                                   strict=True):
            if not isinstance(arn, str):
                continue
            team = (unit_team.get((a, owner)) if isinstance(owner, str) else None) \
                or unit_team.get((a, via_pipeline.get((a, str(key)), ""))) or unit_team.get((a, plain)) \
                or tag_team(tags)
            if team:
                out[arn] = team
    return out
