"""Deployable units: pipelines, stacks and running resources joined into one row each.

A unit is the thing a team ships. Joins (rules in docs/analysis.md):

    pipeline -> repository   repo_links.pipeline_links holds the pipeline ARN, else the source action's
                             repository id (org/name) ends in the repos.yaml name
    pipeline -> connection   pipelines.source_connection_arn = connections.arn (either ARN prefix): the
                             source is the connection's provider (github, gitlab, bitbucket, ...)
    pipeline -> stack        pipelines.deploy_stack_names (CloudFormation deploy actions)
    pipeline -> resource     ECS / Beanstalk / S3 / CodeDeploy deploy actions name their target
    stack    -> resource     managed_by (decided once by the crawler: resource type AND physical id)
    neither                  a repository that serves the client with CI and the same target
                             -> service/function unit, else a "manual" unit
    repository alone         repo traits -> a "repo" unit per client it serves

Every unit reduces to `source -> build -> artifact -> iac -> target[strategy] + gates`; each part's
provenance (observed | inferred | unknown) is kept in `provenance`, and `unknown` is a value of its own,
never written as `none`. The team of a unit and where it came from: `team_source` (repo | account |
tag | inferred, audit.analysis.attribution).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pandas as pd

from audit.analysis import oidc, vocab
from audit.analysis.attribution import infer_teams
from audit.analysis.frames import Inventory, as_list, conform, notnull, objectify, table
from audit.analysis.resources import compute_resources, stack_targets_by_type, tag_team, top_level_stacks

PARTS = ("source", "build", "artifact", "iac", "target", "strategy", "gates")
OBSERVED, INFERRED = "observed", "inferred"
BOOTSTRAP_STACKS = ("cdktoolkit", "aws-sam-cli-managed-", "stackset-", "stackset:")
REPO_TARGETS = {"ecs": "ecs", "fargate": "ecs", "lambda": "lambda", "sam": "lambda", "beanstalk": "beanstalk",
                "elastic-beanstalk": "beanstalk", "elasticbeanstalk": "beanstalk", "ec2": "ec2",
                "codedeploy": "ec2", "s3": "s3-static", "s3-static": "s3-static", "static-site": "s3-static",
                "cloudfront": "s3-static", "eks": "eks", "kubernetes": "eks", "helm": "eks"}
REPO_ARTIFACTS = {"docker": "image", "container": "image", "image": "image", "oci": "image", "zip": "zip",
                  "sam": "zip", "jar": "bundle", "war": "bundle", "bundle": "bundle", "static": "static",
                  "npm": "bundle", "wheel": "bundle", "zip-artifact": "bundle"}


def connection_key(arn: Any) -> str | None:
    """A connection ARN without its service prefix: since the 2024 rename the same connection may be
    named arn:aws:codestar-connections:... or arn:aws:codeconnections:... (partition, region, account, id)."""
    parts = arn.split(":") if isinstance(arn, str) else []
    return ":".join([parts[1], *parts[3:]]) if len(parts) >= 6 else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class _Repos:
    """Repository lookups: by pipeline ARN, by source id, by (client, target)."""

    def __init__(self, inv: Inventory) -> None:
        repos = table(inv, "repos")
        traits = table(inv, "repo_traits")
        self.team: dict[str, str | None] = dict(zip(repos["repo"], repos["team"], strict=True))
        self.url = dict(zip(repos["repo"], repos["url"], strict=True))
        self.clients = {r: as_list(c) for r, c in zip(repos["repo"], repos["clients"], strict=True)}
        linked = table(inv, "repo_links")  # analysis.links, when it ran: pipeline ARNs and their clients
        self.clients.update({r: as_list(c) for r, c in zip(linked["repo"], linked["clients"], strict=True)})
        self.by_arn = {arn: r for r, links in zip(linked["repo"], linked["pipeline_links"], strict=True)
                       for arn in as_list(links)}
        self.by_name = {str(r).lower(): r for r in repos["repo"]}
        self.traits: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for r, fam, val in zip(traits["repo"], traits["family"], traits["value"], strict=True):
            self.traits[r][fam].append(str(val).lower())
        self.by_client_target: dict[tuple, list[str]] = defaultdict(list)
        for r, clients in self.clients.items():
            for t in self.targets(r):
                for c in clients:
                    self.by_client_target[(c, t)].append(r)

    def targets(self, repo: str) -> list[str]:
        return sorted({REPO_TARGETS[v] for v in self.traits[repo]["deploy_targets"] if v in REPO_TARGETS})

    def for_pipeline(self, arn: str | None, source_repository: str | None) -> str | None:
        if arn and arn in self.by_arn:
            return self.by_arn[arn]
        if source_repository:
            tail = str(source_repository).rstrip("/").split("/")[-1].lower()
            for suffix in (".git", ".zip", ".tar.gz", ".tgz", ".jar", ".war"):
                tail = tail.removesuffix(suffix)
            return self.by_name.get(tail)
        return None

    def for_target(self, client: str, target: str, with_ci: bool = False, iac: str | None = None) -> str | None:
        """The one repository serving `client` with this target (and CI / IaC tool when asked), else None."""
        found = [r for r in self.by_client_target.get((client, target), [])
                 if (not with_ci or self.traits[r]["ci_systems"])
                 and (iac is None or iac in {vocab.iac_of(t) for t in self.traits[r]["iac_tools"]})]
        return found[0] if len(found) == 1 else None

    def ci(self, repo: str) -> str:
        return vocab.build_of(self.traits[repo]["ci_systems"])


def _pick(cands: list[dict]) -> dict:
    """The primary target among a unit's candidates (by vocab.TARGET_PRIORITY)."""
    if not cands:
        return {"target": "infra", "strategy": vocab.NONE, "artifact": "template", "gates": None, "prov": {}}
    return min(cands, key=lambda c: (vocab.TARGET_PRIORITY.get(c["target"], 8), c["target"]))


def _gates(*parts: str | None) -> str | None:
    found = sorted({g for p in parts if isinstance(p, str) and p for g in p.split(" + ")})
    return " + ".join(found) if found else None


def build_units(inv: Inventory) -> pd.DataFrame:
    """The `units` table (see module docstring); one row per deployable unit."""
    repos = _Repos(inv)
    compute = compute_resources(inv)
    cols = list(compute.columns)
    crec = [dict(zip(cols, row, strict=True)) for row in zip(*(compute[c].tolist() for c in cols), strict=True)]
    by_stack: dict[tuple, list[dict]] = defaultdict(list)
    by_name: dict[tuple, dict] = {}
    for c in crec:
        if c["managed_by"] is not None and notnull(c["managed_by"]):
            by_stack[(c["account_id"], c["region"], c["managed_by"])].append(c)
        by_name[(c["account_id"], c["target"], c["name"])] = c
        cluster = _ecs_cluster(c)
        if cluster:
            by_name[(c["account_id"], "ecs", f"{cluster}/{c['name']}")] = c
    stacks = top_level_stacks(inv)  # a nested stack is part of its root's unit
    stack_tool = {(a, r, n): t for a, r, n, t in
                  zip(stacks["account_id"], stacks["region"], stacks["name"], stacks["iac_tool"], strict=True)}
    groups = table(inv, "codedeploy_groups")
    group_of = {(g.account_id, g.application_name, g.name): g for g in groups.itertuples(index=False)}
    actions = table(inv, "pipeline_actions")
    dep = actions[actions["category"].isin(["Deploy", "Test"])]
    acts: dict[tuple, list] = defaultdict(list)
    for a, r, p, cat, prov, conf in zip(dep["account_id"], dep["region"], dep["pipeline_name"], dep["category"],
                                        dep["provider"], dep["configuration"], strict=True):
        acts[(a, r, p)].append((cat, vocab.text(prov).lower(), conf))
    account_teams = _account_teams(inv)
    stack_types = stack_targets_by_type(inv)
    trusted = oidc.subjects(inv)

    def stack_targets(key: tuple) -> list[dict]:
        return by_stack.get(key) or stack_types.get(key, [])
    units: list[dict] = []
    names: dict[str, set[str]] = {}  # unit_id -> names of the unit and its resources (team inference)
    used_stacks: set[tuple] = set()
    used_rids: set[tuple] = set()

    def team_for(repo: str | None, account: str, client: str, target: str, tags: Any = None) -> dict:
        """Team rule: linked repo's team, the account's only team, a `team` tag, a repo serving the
        client with that target, else unknown for now (inferred later; docs/analysis.md)."""
        if repo and _str(repos.team.get(repo)):
            return _team(repos.team[repo], "repo", f"linked repository {repo}")
        teams = account_teams.get(account, [])
        if len(teams) == 1:
            return _team(teams[0], "account", f"the only team of account {account}")
        tagged = tag_team(tags)
        if tagged:
            return _team(tagged, "tag", f"team tag {tagged}")
        other = repos.for_target(client, target)
        if other and _str(repos.team.get(other)):
            return _team(repos.team[other], "repo", f"repository {other}, the one serving {client} with {target}")
        return _team(None, None, None)

    def add(row: Any, kind: str, name: str, cands: list[dict], prov: dict[str, str], **fields: Any) -> None:
        unit = _unit(row, kind, name, **fields)
        unit["provenance"] = _provenance(unit, prov)
        units.append(unit)
        names[unit["unit_id"]] = {n for n in (name, unit.get("pipeline_name"), *(unit.get("stack_name") or "").split(","),
                                              *(c.get("name") for c in cands), *(_ecs_cluster(c) for c in cands))
                                  if isinstance(n, str) and n}

    connections = table(inv, "connections")
    connection_provider = dict(zip(map(connection_key, connections["arn"]), connections["provider_type"], strict=True))
    for p in table(inv, "pipelines").itertuples(index=False):
        key = (p.account_id, p.region, p.name)
        cands: list[dict] = []
        stack_names = [s for s in as_list(p.deploy_stack_names) if vocab.text(s)]
        tools = []
        for s in stack_names:
            used_stacks.add((p.account_id, p.region, s))
            tools.append(stack_tool.get((p.account_id, p.region, s), "cloudformation"))
            cands += stack_targets((p.account_id, p.region, s))
        has_test = False
        for cat, prov, conf in acts.get(key, []):
            if cat == "Test":
                has_test = True
                continue
            cands += _direct_targets(p.account_id, prov, conf, by_name, group_of, _repo_tail(p.source_repository))
        if not acts.get(key):
            for prov in as_list(p.deploy_providers):
                if str(prov).lower() in vocab.DIRECT_DEPLOY and str(prov).lower() != "codedeploy":
                    t, s = vocab.DIRECT_DEPLOY[str(prov).lower()]
                    cands.append({"target": t, "strategy": s, "artifact": vocab.ARTIFACT_OF_TARGET[t], "gates": None,
                                  "prov": {"strategy": INFERRED, "artifact": INFERRED}})
            for ag in as_list(p.codedeploy_targets):
                app, _, grp = str(ag).partition("/")
                cands += _group_targets(p.account_id, group_of.get((p.account_id, app, grp)), by_name)
        for c in cands:
            if "rid" in c:
                used_rids.add((c["account_id"], c["rid"]))
                owner = c.get("managed_by")
                if isinstance(owner, str) and owner and owner not in stack_names and \
                        (p.account_id, p.region, owner) in stack_tool:
                    # the pipeline deploys a resource whose infrastructure lives in a stack: one unit
                    stack_names.append(owner)
                    tools.append(stack_tool[(p.account_id, p.region, owner)])
                    used_stacks.add((p.account_id, p.region, owner))
        best = _pick(cands)
        repo = repos.for_pipeline(p.arn, p.source_repository)
        gates = _gates("manual-approval" if notnull(p.manual_approvals) and p.manual_approvals > 0 else None,
                       "test" if has_test else None, best.get("gates"))
        add(p, "pipeline", p.name, cands, best.get("prov", {}), repo=repo, pipeline_name=p.name,
            stack_name=",".join(stack_names) or None,
            source=vocab.source_of(p.source_provider, repos.url.get(repo) if repo else None,
                                   connection_provider.get(connection_key(p.source_connection_arn))),
            build=vocab.build_of(as_list(p.build_providers)), artifact=best["artifact"],
            iac=vocab.iac_of(tools[0]) if tools else vocab.NONE, target=best["target"],
            strategy=best["strategy"], gates=gates,
            **team_for(repo, p.account_id, p.client, best["target"], p.tags))
    for s in stacks.itertuples(index=False):
        key = (s.account_id, s.region, s.name)
        if key in used_stacks or str(s.name).lower().startswith(BOOTSTRAP_STACKS):
            continue
        cands = stack_targets(key)
        if not cands:  # monitoring/baseline stacks: onboarding material (baseline), not a deployable unit
            continue
        for c in cands:
            if "rid" in c:
                used_rids.add((c["account_id"], c["rid"]))
        best = _pick(cands)
        repo = repos.for_target(s.client, best["target"], with_ci=True, iac=vocab.iac_of(s.iac_tool))
        prov = dict(best.get("prov", {}))
        if repo:  # the repository serving this client with this target and tool: a match, not a link
            source, build, prov["source"], prov["build"] = vocab.host_of(repos.url.get(repo)), repos.ci(repo), \
                INFERRED, INFERRED
        else:
            source = build = vocab.UNKNOWN
            subject = oidc.match(trusted.get(s.account_id, []), s.name, s.client, s.tags)
            if subject is not None:  # an IAM role lets this repository's CI deploy here (OIDC trust)
                source, build, prov["source"], prov["build"] = subject.source, subject.build, INFERRED, INFERRED
                prov["evidence"] = f"IAM role {subject.role} trusts {subject.source} repository {subject.repo}"
                repo = repos.by_name.get(str(subject.tail).lower())
        add(s, "stack", s.name, cands, prov, repo=repo, stack_name=s.name, source=source, build=build,
            artifact=best["artifact"], iac=vocab.iac_of(s.iac_tool), target=best["target"],
            strategy=best["strategy"], gates=best.get("gates"),
            **team_for(repo, s.account_id, s.client, best["target"], s.tags))
    for c in crec:
        if (c["account_id"], c["rid"]) in used_rids:
            continue
        stacked = notnull(c["managed_by"]) and (c["account_id"], c["region"], c["managed_by"]) in stack_tool
        if stacked:  # owned by a bootstrap stack or a stack we skipped: not a unit of its own
            continue
        repo = repos.for_target(c["client"], c["target"], with_ci=True)
        # no pipeline and no stack: "manual" (console), even if a repository's CI may push to it
        prov = {**c.get("prov", {}), "source": INFERRED, "build": INFERRED if repo else OBSERVED}
        add(c, "manual", c["name"], [c], prov, repo=repo,
            source=vocab.host_of(repos.url.get(repo)) if repo else "console",
            build=repos.ci(repo) if repo else vocab.NONE, artifact=c["artifact"], iac=vocab.NONE,
            target=c["target"], strategy=c["strategy"], gates=c["gates"],
            **team_for(repo, c["account_id"], c["client"], c["target"], c["tags"]))
    units += _repo_units(inv, repos, {(u["repo"], u["client"]) for u in units if u["repo"]})
    frame = objectify(pd.DataFrame(units))
    if frame.empty:
        return conform("units", frame)
    frame["fingerprint"] = [vocab.fingerprint(*r) for r in zip(
        frame["source"], frame["build"], frame["artifact"], frame["iac"], frame["target"], frame["strategy"],
        [g if isinstance(g, str) and g else None for g in frame["gates"]], strict=True)]
    frame["family"] = [vocab.family(a, t) for a, t in zip(frame["artifact"], frame["target"], strict=True)]
    frame = frame.drop_duplicates("unit_id")
    return conform("units", infer_teams(frame, account_teams, names))


def _team(team: str | None, source: str | None, evidence: str | None) -> dict:
    return {"team": team, "team_source": source, "team_confidence": 1.0 if team else None, "team_evidence": evidence}


def _provenance(unit: dict, marks: dict[str, str]) -> str:
    """JSON part -> observed | inferred | unknown: `unknown` exactly where the value is unknown."""
    out = {}
    for part in PARTS:
        value = unit.get(part)
        out[part] = vocab.UNKNOWN if value == vocab.UNKNOWN else marks.get(part, OBSERVED)
    if marks.get("evidence"):
        out["evidence"] = marks["evidence"]
    return json.dumps(out)


def _ecs_cluster(c: dict) -> str | None:
    """The cluster of an ECS service record, from its ARN (arn:...:service/<cluster>/<name>)."""
    rid = c.get("rid")
    if c.get("target") != "ecs" or not isinstance(rid, str) or ":service/" not in rid:
        return None
    path = rid.split(":service/", 1)[1].split("/")
    return path[0] if len(path) == 2 else None


def _unit(row: Any, kind: str, name: str, **fields: Any) -> dict:
    get = row.get if isinstance(row, dict) else (lambda k: getattr(row, k))
    account, region = get("account_id"), get("region")
    out = {"unit_id": f"{account}/{region}/{kind}/{name}", "account_id": account, "client": get("client"),
           "region": region, "kind": kind, "name": name, "repo": None, "pipeline_name": None, "stack_name": None}
    out.update(fields)
    return out


def _repo_tail(source_repository: Any) -> str | None:
    text = vocab.text(source_repository).rstrip("/")
    return text.split("/")[-1].removesuffix(".git") if text else None


def _direct_targets(account: str, provider: str, conf: Any, by_name: dict, group_of: dict,
                    repo_tail: str | None = None) -> list[dict]:
    """Targets a deploy action names directly (ECS service, Beanstalk env, bucket, CodeDeploy group).

    A CodeDeployToECS action names only the deployment group; its services are the group's
    `ecsServices` (see _ecs_group_targets).
    """
    if provider not in vocab.DIRECT_DEPLOY:
        return []
    try:
        cfg = json.loads(conf) if isinstance(conf, str) else dict(conf or {})
    except ValueError:
        cfg = {}
    if provider.startswith("codedeploy"):
        group = group_of.get((account, cfg.get("ApplicationName"), cfg.get("DeploymentGroupName")))
        if provider == "codedeploy":
            return _group_targets(account, group, by_name)
        return _ecs_group_targets(account, group, by_name, repo_tail)
    target, strategy = vocab.DIRECT_DEPLOY[provider]
    name = cfg.get("ServiceName") or cfg.get("EnvironmentName") or cfg.get("BucketName")
    cluster = cfg.get("ClusterName") if target == "ecs" else None
    found = (by_name.get((account, target, f"{cluster}/{name}")) if cluster else None) or \
        by_name.get((account, target, name))
    if found:
        return [found]
    return [{"target": target, "strategy": strategy, "artifact": vocab.ARTIFACT_OF_TARGET[target], "gates": None,
             "prov": {"strategy": INFERRED, "artifact": INFERRED}}]


_ABSENT = object()


def _ecs_group_targets(account: str, group: Any, by_name: dict, repo_tail: str | None = None) -> list[dict]:
    """The ECS services a CodeDeploy (blue/green) deployment group deploys: its `ecsServices`
    (codedeploy_groups.ecs_services, `cluster/service`), each with the group's strategy and rollback gates.

    CodeDeploy deploys ECS only blue/green (its config only picks how traffic shifts: all at once,
    canary or linear), so the strategy is `blue-green`. A crawl from before `ecs_services` was collected falls back to the service named after
    the source repository, marked inferred.
    """
    if group is None:
        return [{"target": "ecs", "strategy": "blue-green", "artifact": "image", "gates": None,
                 "prov": {"strategy": INFERRED}}]
    strategy = "blue-green"
    gates = "rollback-alarms" if group.auto_rollback and as_list(group.rollback_alarms) else None
    services = getattr(group, "ecs_services", _ABSENT)
    prov: dict[str, str] = {}
    if services is _ABSENT:
        services, prov = [repo_tail] if repo_tail else [], {"target": INFERRED}
    found = []
    for svc in as_list(services):
        hit = by_name.get((account, "ecs", str(svc))) or by_name.get((account, "ecs", str(svc).rsplit("/", 1)[-1]))
        if hit:
            found.append(dict(hit, strategy=strategy, gates=_gates(hit.get("gates"), gates), prov=prov))
    return found or [{"target": "ecs", "strategy": strategy, "artifact": "image", "gates": gates}]


def _group_targets(account: str, group: Any, by_name: dict) -> list[dict]:
    if group is None:
        return [{"target": "ec2", "strategy": "in-place", "artifact": "bundle", "gates": None,
                 "prov": {"strategy": INFERRED}}]
    strategy = vocab.strategy_of_codedeploy(group.deployment_type, group.deployment_config)
    gates = "rollback-alarms" if group.auto_rollback and as_list(group.rollback_alarms) else None
    platform = vocab.text(group.compute_platform).lower()
    if platform == "lambda":
        return [{"target": "lambda", "strategy": strategy, "artifact": "zip", "gates": gates}]
    if platform == "ecs":
        return _ecs_group_targets(account, group, by_name)
    names = as_list(group.autoscaling_groups)
    if not names:  # some APIs omit the group's ASGs: fall back to ASGs named after the application
        app = vocab.text(group.application_name)
        names = [n for (a, t, n) in by_name if a == account and t == "ec2" and app and isinstance(n, str)
                 and n.startswith(app)]
    found = [dict(by_name[(account, "ec2", a)], strategy=strategy, gates=gates)
             for a in names if (account, "ec2", a) in by_name]
    return found or [{"target": "ec2", "strategy": strategy, "artifact": "bundle", "gates": gates}]


def _account_teams(inv: Inventory) -> dict[str, list[str]]:
    acc = table(inv, "accounts")
    return {a: sorted(as_list(t)) for a, t in zip(acc["account_id"], acc["teams"], strict=True)}


def _repo_units(inv: Inventory, repos: _Repos, linked: set[tuple]) -> list[dict]:
    """A `repo` unit for each client a repository serves with no unit linked to it in that account."""
    acc = table(inv, "accounts")
    account_of = dict(zip(acc["client"], acc["account_id"], strict=True))
    failed = set(acc.loc[acc["status"] == "failed", "client"])
    out = []
    for repo, clients in repos.clients.items():
        traits = repos.traits[repo]
        if not (traits["deploy_targets"] or traits["ci_systems"]):
            continue
        targets = repos.targets(repo)
        target = min(targets, key=lambda t: vocab.TARGET_PRIORITY.get(t, 8)) if targets else vocab.UNKNOWN
        arts = [REPO_ARTIFACTS[v] for v in traits["packaging"] if v in REPO_ARTIFACTS]
        artifact = arts[0] if arts else vocab.ARTIFACT_OF_TARGET.get(target, vocab.UNKNOWN)
        iacs = traits["iac_tools"]
        for client in clients or [None]:
            if (repo, client) in linked or client in failed:  # a failed crawl: unknown, not repo-only
                continue
            out.append({
                "unit_id": f"repo/{repo}/{client or '-'}", "account_id": account_of.get(client), "client": client,
                "region": None, "kind": "repo", "name": repo, "repo": repo, "pipeline_name": None,
                "stack_name": None, "source": vocab.host_of(repos.url.get(repo)), "build": repos.ci(repo),
                "artifact": artifact, "iac": vocab.iac_of(iacs[0]) if iacs else vocab.NONE, "target": target,
                "strategy": vocab.UNKNOWN, "gates": None,
                **_team(repos.team.get(repo), "repo" if repos.team.get(repo) else None,
                        f"repository {repo}" if repos.team.get(repo) else None)})
            out[-1]["provenance"] = _provenance(out[-1], {"artifact": OBSERVED if arts else INFERRED})
    return out
