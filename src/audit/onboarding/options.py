"""options.md: the multi-account CI/CD options the consultancy could build on, each with its
prerequisites checked against the inventory and a fit verdict per team, with the facts behind it.

The checks read only what the crawl and the analysis know; a prerequisite the crawl cannot see (the
tooling account's own roles, a KMS key policy) is said to be unknown, never assumed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from audit.analysis.frames import Inventory, table
from audit.analysis.vocab import text
from audit.markdown import cell

# CodePipeline quotas (https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html)
ACTIONS_PER_STAGE = 50
STAGES_PER_PIPELINE = 50
PIPELINES_PER_REGION = 1000
EXEC_ROLE = "AWSCloudFormationStackSetExecutionRole"


@dataclass
class Check:
    """One prerequisite: met (True/False) or unknown (None), and the fact behind it."""

    what: str
    met: bool | None
    fact: str


@dataclass
class Option:
    name: str
    summary: str
    docs: str
    checks: list[Check] = field(default_factory=list)
    teams: dict[str, tuple[str, str]] = field(default_factory=dict)  # team -> (verdict, why)


@dataclass
class Facts:
    """What the inventory says about the fleet, for the checks."""

    accounts: int
    organization: bool | None
    cdk_bootstrapped: list[str]
    cdk_trusting_tooling: list[str]
    tooling_account: str | None
    cross_account_roles: list[str]
    exec_roles: list[str]
    stacksets: Counter[str]
    team_iac: dict[str, Counter[str]]
    team_build: dict[str, Counter[str]]
    team_pipelines: Counter[str]
    max_actions_per_stage: int
    max_stages: int
    max_pipelines_per_region: int


def facts(inv: Inventory, units: pd.DataFrame, tooling_account: str | None, organization: bool | None) -> Facts:
    accounts = table(inv, "accounts")
    crawled = accounts[accounts["status"].fillna("ok") != "failed"]
    client_of = dict(zip(crawled["account_id"], crawled["client"], strict=True))
    stacks = table(inv, "stacks")
    cdk = sorted({client_of[a] for a, n in zip(stacks["account_id"], stacks["name"], strict=True)
                  if n == "CDKToolkit" and a in client_of})
    roles = table(inv, "iam_roles")

    def trusts_tooling(principals: Any) -> bool:
        return bool(tooling_account) and any(tooling_account in str(p) for p in (principals if principals is not None else []))

    cdk_trust = sorted({client_of.get(a, a) for a, n, p in zip(roles["account_id"], roles["name"],
                                                                 roles["trusted_principals"], strict=True)
                        if text(n).startswith("cdk-") and trusts_tooling(p)})
    cross = sorted({client_of.get(a, a) for a, k, p in zip(roles["account_id"], roles["trust_kind"],
                                                             roles["trusted_principals"], strict=True)
                    if k == "cross-account" and trusts_tooling(p)})
    execs = sorted({client_of.get(a, a) for a, n in zip(roles["account_id"], roles["name"], strict=True) if n == EXEC_ROLE})
    sets = Counter(text(m) or "unknown" for m in table(inv, "stacksets")["permission_model"])
    team_iac: dict[str, Counter[str]] = {}
    team_build: dict[str, Counter[str]] = {}
    pipelines: Counter[str] = Counter()
    for u in units.to_dict("records") if len(units) else []:
        team = text(u.get("team")) or "unattributed"
        for part, into in (("iac", team_iac), ("build", team_build)):
            value = text(u.get(part))
            if value and value not in ("none", "unknown"):
                into.setdefault(team, Counter())[value] += 1
        if u.get("kind") == "pipeline":
            pipelines[team] += 1
    actions = table(inv, "pipeline_actions")
    per_stage = actions.groupby(["account_id", "region", "pipeline_name", "stage"]).size() if len(actions) else pd.Series(dtype=int)
    stages = actions.groupby(["account_id", "region", "pipeline_name"])["stage"].nunique() if len(actions) else pd.Series(dtype=int)
    pipes = table(inv, "pipelines")
    per_region = pipes.groupby(["account_id", "region"]).size() if len(pipes) else pd.Series(dtype=int)
    return Facts(len(crawled), organization, cdk, cdk_trust, tooling_account, cross, execs, sets, team_iac, team_build,
                 pipelines, int(per_stage.max()) if len(per_stage) else 0, int(stages.max()) if len(stages) else 0,
                 int(per_region.max()) if len(per_region) else 0)


def _teams(f: Facts, accounts_teams: list[str]) -> list[str]:
    return sorted(set(accounts_teams) | set(f.team_iac) | set(f.team_build) | set(f.team_pipelines))


def _uses(counter: Mapping[str, Counter[str]], team: str, *tools: str) -> int:
    return sum(counter.get(team, Counter()).get(t, 0) for t in tools)


def _list(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def options(f: Facts, teams: list[str]) -> list[Option]:
    org = f.organization
    org_fact = ("accounts.yaml discovers the clients from an AWS Organization" if org else
                "accounts.yaml lists the clients by hand: they share no AWS Organization" if org is False else
                "unknown (no accounts.yaml given)")
    limits = Check(f"pipelines within CodePipeline quotas ({ACTIONS_PER_STAGE} actions per stage, {STAGES_PER_PIPELINE} "
                   f"stages, {PIPELINES_PER_REGION} pipelines per region)",
                   f.max_actions_per_stage <= ACTIONS_PER_STAGE and f.max_stages <= STAGES_PER_PIPELINE
                   and f.max_pipelines_per_region <= PIPELINES_PER_REGION,
                   f"largest: {f.max_actions_per_stage} actions in a stage, {f.max_stages} stages, "
                   f"{f.max_pipelines_per_region} pipelines in one account and region")
    cross = Check("cross-account roles trusting the tooling account in the client accounts",
                  len(f.cross_account_roles) == f.accounts if f.accounts else None,
                  f"{len(f.cross_account_roles)} of {f.accounts} crawled clients: {_list(f.cross_account_roles)} "
                  f"(tooling account {f.tooling_account or 'unknown'})")
    out = []

    cp = Option("CodePipeline cross-account actions",
                "One pipeline in the tooling account deploys into each client account through a role there.",
                "https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-cross-account.html",
                [cross, limits, Check("a customer-managed KMS key on the artifact bucket, shared with the client accounts",
                                      None, "not read by the crawl (key policies are not collected)")])
    for t in teams:
        n = f.team_pipelines.get(t, 0)
        cp.teams[t] = (("fits", f"already delivers with {n} CodePipeline pipeline(s)") if n else
                       ("possible", "builds with CodeBuild but has no pipeline") if _uses(f.team_build, t, "codebuild") else
                       ("not a fit now", "no CodePipeline or CodeBuild in its units"))
    out.append(cp)

    cdk = Option("CDK Pipelines",
                 "A self-mutating CodePipeline defined in CDK deploys CDK apps to bootstrapped client accounts.",
                 "https://docs.aws.amazon.com/cdk/v2/guide/cdk_pipeline.html",
                 [Check("CDK bootstrap stack (CDKToolkit) in every client account", len(f.cdk_bootstrapped) == f.accounts
                        if f.accounts else None, f"{len(f.cdk_bootstrapped)} of {f.accounts}: {_list(f.cdk_bootstrapped)}"),
                  Check("bootstrapped with --trust for the tooling account (cdk-* roles trust it)",
                        bool(f.cdk_trusting_tooling) if f.cdk_bootstrapped else False,
                        f"cdk-* roles trusting the tooling account in: {_list(f.cdk_trusting_tooling)}"), limits])
    for t in teams:
        n = _uses(f.team_iac, t, "cdk")
        cdk.teams[t] = (("fits", f"{n} unit(s) already deploy with CDK") if n else
                        ("not a fit", f"uses {_list(sorted(f.team_iac.get(t, Counter())))} for infrastructure, not CDK"))
    out.append(cdk)

    ss = Option("Self-managed StackSets",
                "The tooling account rolls one template (baseline.yaml) into each client account through an "
                "execution role there; no Organization needed.",
                "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html",
                [Check(f"execution role {EXEC_ROLE} in every client account", len(f.exec_roles) == f.accounts
                       if f.accounts else None, f"{len(f.exec_roles)} of {f.accounts}: {_list(f.exec_roles)}"),
                 Check("administration role in the tooling account", None, "the tooling account is not crawled"),
                 Check("StackSets already in use", bool(f.stacksets),
                       ", ".join(f"{n} {m}" for m, n in sorted(f.stacksets.items())) or "none found")])
    for t in teams:
        ss.teams[t] = ("fits", "the account baseline is shared by every team: one template, one roll-out")
    out.append(ss)

    needs_org = Check("the client accounts in one AWS Organization", org, org_fact)
    sm = Option("Service-managed StackSets", "Organizations deploys a StackSet to accounts of an OU automatically, "
                "including new accounts.",
                "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-enable-trusted-access.html",
                [needs_org])
    adf = Option("AWS Deployment Framework (ADF)", "Organizations-based pipelines per OU from a deployment account.",
                 "https://github.com/awslabs/aws-deployment-framework", [needs_org,
                 Check("a deployment account", None, "not in the inventory")])
    aft = Option("Control Tower Account Factory for Terraform (AFT)",
                 "Control Tower vends and customises accounts from Terraform pipelines.",
                 "https://docs.aws.amazon.com/controltower/latest/userguide/aft-overview.html",
                 [needs_org, Check("an AWS Control Tower landing zone", None if org else False,
                                   "needs an Organization" if not org else "not read by the crawl")])
    for opt in (sm, adf, aft):
        for t in teams:
            if not org:
                opt.teams[t] = ("not a fit", "the clients' accounts are not in one Organization")
            elif opt is aft:
                n = _uses(f.team_iac, t, "terraform")
                opt.teams[t] = ("fits", f"{n} unit(s) use Terraform") if n else ("possible", "does not use Terraform yet")
            else:
                opt.teams[t] = ("possible", "the Organization prerequisite is met")
        out.append(opt)
    return out


def options_md(opts: list[Option]) -> str:
    mark = {True: "met", False: "not met", None: "unknown"}
    out = ["# Multi-account CI/CD options, checked against the inventory", "",
           "Each option's prerequisites are checked against what this week's crawl and analysis know; 'unknown'",
           "means the crawl cannot see it (it is never assumed). The verdict per team says why.", ""]
    out += ["| option | prerequisites met | " + " | ".join(cell(t) for t in sorted(opts[0].teams)) + " |",
            "|---|---|" + "---|" * len(opts[0].teams)] if opts and opts[0].teams else []
    for o in opts:
        met = sum(1 for c in o.checks if c.met)
        if o.teams:
            out.append(f"| {cell(o.name)} | {met} of {len(o.checks)} | " +
                       " | ".join(cell(o.teams[t][0]) for t in sorted(o.teams)) + " |")
    for o in opts:
        out += ["", f"## {cell(o.name)}", "", cell(o.summary), "", f"Reference: <{o.docs}>", "",
                "| prerequisite | status | fact |", "|---|---|---|"]
        out += [f"| {cell(c.what)} | {mark[c.met]} | {cell(c.fact)} |" for c in o.checks]
        if o.teams:
            out += ["", "| team | verdict | why |", "|---|---|---|"]
            out += [f"| {cell(t)} | {cell(v)} | {cell(why)} |" for t, (v, why) in sorted(o.teams.items())]
    return "\n".join(out) + "\n"


__all__ = ["Facts", "Option", "facts", "options", "options_md"]
