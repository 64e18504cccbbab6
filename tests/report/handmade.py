"""A small hand-built inventory with analysis tables, for report tests that must not wait on a fleet.

Names include the hostile strings the fleet also seeds (`<script>alert(1)</script>`, quotes, a
leading `=` for spreadsheets) so escaping is tested on every path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from audit.store.snapshots import write_analysis, write_snapshot

XSS = "<script>alert(1)</script>"
FORMULA = "=HYPERLINK(\"http://evil\",\"x\")"
CLIENTS = ["acme", "globex", "initech", "umbrella"]
TEAMS = {"acme": "web", "globex": "web", "initech": "data", "umbrella": "java"}
FP_WEB = "github -> codebuild -> image -> cloudformation -> ecs[blue-green] + manual-approval"
FP_WEB2 = "github -> codebuild -> image -> cloudformation -> ecs[rolling]"
FP_DATA = "codecommit -> codebuild -> zip -> sam -> lambda[all-at-once]"
FP_JAVA = "github -> codebuild -> jar -> none -> beanstalk[rolling]"


def crawl_tables(n_errors: int = 2) -> dict[str, list[dict]]:
    accounts = [{"account_id": f"{i + 1:012d}", "client": c, "teams": [TEAMS[c]], "tags": "{}",
                 "role_arn": f"arn:aws:iam::{i + 1:012d}:role/CicdAuditReadOnly", "regions": ["eu-west-1"],
                 "status": "failed" if c == "umbrella" else "ok", "error_count": 1 if c == "umbrella" else 0,
                 "calls": 40, "seconds": 1.5} for i, c in enumerate(CLIENTS)]
    errors = [{"source": "crawl", "account_id": "000000000004", "client": "umbrella", "region": "global",
               "collector": "sts", "operation": "AssumeRole", "error_class": "assume-role",
               "error_code": "AccessDenied", "message": f"not allowed {XSS}"}]
    if n_errors > 1:
        errors.append({"source": "scan", "account_id": None, "client": None, "region": None,
                       "collector": "repo-<b>bold</b>", "operation": "clone", "error_class": "unreachable",
                       "error_code": "GitError", "message": "repository not found"})
    repos = [{"repo": "web-app", "team": "web", "url": "repos/web-app", "clients": ["acme", "globex"],
              "status": "ok", "commits_90d": 40, "skipped_count": 0},
             {"repo": f"data-{XSS}", "team": "data", "url": "repos/data", "clients": ["initech"], "status": "ok",
              "commits_90d": 12, "skipped_count": 1}]
    return {"accounts": accounts, "errors": errors, "repos": repos}


CAPACITY = 14.0  # person-days: the pick is deploy-role (3), shared-pipeline (8), oidc (2) = 13 days


def handmade_ranking(rows: list[dict], capacity_days: float) -> list[dict]:
    """Rows ordered and picked by the analysis' own pick (`PickPlan`), cumulative totals added."""
    from audit.picklist import PickPlan

    df = pd.DataFrame(rows)
    plan = PickPlan.of(df)
    cod, eff = df["cost_of_delay"].to_numpy(float)[None, :], df["effort_days"].to_numpy(float)[None, :]
    key, order, picked = plan.run(cod, eff, capacity_days)
    df["pick_key"], df["rank"], df["picked"] = key[0], np.argsort(order[0]) + 1, picked[0]
    df["pick_share"] = plan.share(cod[0], eff[0], capacity_days, runs=200)
    df["capacity_days"], df["capacity_source"] = capacity_days, "default"
    df = df.sort_values("rank")
    df["cumulative_hours"], df["cumulative_effort_days"] = df["hours_saved_per_year"].cumsum(), df["effort_days"].cumsum()
    return df.to_dict("records")


def analysis_tables() -> dict[str, list[dict]]:
    units = []
    for c in CLIENTS:
        fp = {"web": FP_WEB, "data": FP_DATA, "java": FP_JAVA}[TEAMS[c]]
        if c == "globex":
            fp = FP_WEB2
        units.append({"unit_id": f"{c}/pipeline/main", "client": c, "team": TEAMS[c], "kind": "pipeline",
                      "name": f"{c}-main", "fingerprint": fp, "family": fp.split(" -> ")[2] + " -> "
                      + fp.split(" -> ")[4].split("[")[0], "target": fp.split(" -> ")[4].split("[")[0]})
    units.append({"unit_id": "acme/manual/x", "client": "acme", "team": "web", "kind": "manual", "name": XSS,
                  "target": "s3", "fingerprint": "manual -> s3", "family": "none -> s3"})
    patterns, overlap = [], []
    for fp in {u["fingerprint"] for u in units}:
        us = [u for u in units if u["fingerprint"] == fp]
        cl, tm = sorted({u["client"] for u in us}), sorted({u["team"] for u in us})
        patterns.append({"fingerprint": fp, "family": us[0]["family"], "units": len(us), "clients": len(cl),
                         "teams": len(tm), "client_list": cl, "team_list": tm})
        for dim in ("client", "team"):
            for key in sorted({u[dim] for u in us}):
                overlap.append({"dimension": dim, "key": key, "fingerprint": fp, "family": us[0]["family"],
                                "units": sum(1 for u in us if u[dim] == key)})
    similarity = [{"client_a": a, "client_b": b, "jaccard": 1.0 if TEAMS[a] == TEAMS[b] else 0.0}
                  for i, a in enumerate(CLIENTS) for b in CLIENTS[i + 1:]]
    team_drift = [{"team": "web", "client": "globex", "dominant_fingerprint": FP_WEB,
                   "client_fingerprints": [FP_WEB2], "deviates": True},
                  {"team": "web", "client": "acme", "dominant_fingerprint": FP_WEB,
                   "client_fingerprints": [FP_WEB], "deviates": False}]
    baseline = [{"item_kind": "iam-role", "item": "CicdDeployRole", "coverage": 0.75, "accounts_with": 3,
                 "accounts_total": 4, "missing_clients": ["umbrella"]},
                {"item_kind": "s3-bucket", "item": f"artifacts-{XSS}", "coverage": 1.0, "accounts_with": 4,
                 "accounts_total": 4, "missing_clients": []}]
    delivery = [
        {"level": "team", "key": "web", "team": "web", "deploys": 30, "deploys_per_week": 2.5, "failures": 3,
         "change_failure_rate": 0.1, "time_to_restore_hours": 4.0, "lead_time_hours": 20.0,
         "sprint_end_releases": 6, "hotfix_releases": 2, "sprint_end_share": 0.75},
        {"level": "team", "key": "data", "team": "data", "deploys": 10, "deploys_per_week": 0.8, "failures": 0,
         "change_failure_rate": 0.0, "time_to_restore_hours": None, "lead_time_hours": None,
         "sprint_end_releases": 5, "hotfix_releases": 0, "sprint_end_share": 1.0},
        {"level": "team", "key": "java", "team": "java", "deploys": None, "deploys_per_week": None},
    ] + [{"level": "client", "key": c, "team": TEAMS[c], "client": c, "deploys": 10 + i,
          "deploys_per_week": 0.8 + i, "failures": i, "change_failure_rate": i / (10 + i),
          "time_to_restore_hours": 2.0 if i else None, "sprint_end_releases": 3, "hotfix_releases": i,
          "sprint_end_share": 3 / (3 + i)} for i, c in enumerate(CLIENTS[:3])]
    items = [("deploy-role", "Cross-account deploy role baseline", [], 120.0, 3.0),
             ("shared-pipeline", f"Shared pipeline template {XSS}", ["deploy-role"], 400.0, 8.0),
             ("oidc", "=Migrate CI access keys to OIDC", [], 80.0, 2.0),
             ("hotfix", "One-click hotfix path", ["shared-pipeline"], 150.0, 5.0),
             ("ecr-scan", "+ECR scan on push and immutable tags", [], 20.0, 1.0)]
    meta = {"deploy-role": ("Story", "High", ["platform", "iam"]), "shared-pipeline": ("Epic", "High", ["pipelines"]),
            "oidc": ("Story", "Highest", ["security"]), "hotfix": ("Story", None, ["release"]),
            "ecr-scan": ("Task", "Low", ["security"])}
    rows = []
    for it in items:
        issue_type, priority, labels = meta[it[0]]
        rows.append({"item_id": it[0], "title": it[1], "clients": 3, "teams": 2, "units": 4,
                     "client_list": ["acme", "globex", f"initech{XSS}"], "team_list": ["web", "data"],
                     "hours_saved_per_year": it[3], "delay_hours_avoided_per_year": it[3] / 2,
                     "effort_days": it[4], "roi": it[3] / it[4] / 8, "cost_of_delay": it[3],
                     "wsjf": it[3] / it[4], "depends_on": it[2], "issue_type": issue_type, "priority": priority,
                     "labels": labels, "inputs": f"h per unit/yr 1 (catalog); {XSS}",
                     "formula": f"{it[3]:.0f} (x) = {it[3]:.0f} person-h/yr",
                     "why": f"Serves acme and {XSS}; {FORMULA}"})
    ranking = handmade_ranking(rows, CAPACITY)
    risk_findings = [
        {"kind": "plaintext-secret", "title": "Plaintext secrets in build or runtime variables", "account_id": "000000000001",
         "client": "acme", "region": "eu-west-1", "resource": f"build-{XSS}", "resource_key": "arn:build",
         "detail": "codebuild variable DB_PASSWORD", "item_id": None},
        {"kind": "ci-access-key", "title": "CI/deploy users with active long-lived access keys",
         "account_id": "000000000001", "client": "acme", "region": "global", "resource": "ci-deployer",
         "resource_key": "arn:user/ci", "detail": "1 active key(s), oldest key 3 days old", "item_id": "oidc"},
        {"kind": "ci-access-key", "title": "CI/deploy users with active long-lived access keys",
         "account_id": "000000000002", "client": "globex", "region": "global", "resource": "github-ci",
         "resource_key": "arn:user/gh", "detail": "1 active key(s), oldest key 400 days old", "item_id": "oidc"},
    ]
    drift = [{"kind": "account-added", "key": "000000000004", "before": None, "after": "umbrella",
              "detail": f"umbrella{XSS} (000000000004) crawled for the first time"},
             {"kind": "rank-moved", "key": "oidc", "before": "5", "after": "1"}]  # no detail: an older analysis
    return {"units": units, "patterns": patterns, "overlap": overlap, "similarity": similarity,
            "team_drift": team_drift, "baseline": baseline, "delivery": delivery, "ranking": ranking,
            "risk_findings": risk_findings,
            "drift": drift}


def build_inventory(root: Path, day: str = "2026-11-23", *, previous: str | None = "2026-11-16") -> Path:
    """root/snapshots/<day>/ with crawl, scan and analysis tables (and an older snapshot to compare)."""
    if previous:
        old = write_snapshot(root, previous, crawl_tables(1), {"note": "older"})
        write_analysis(old, analysis_tables())
    snap = write_snapshot(root, day, crawl_tables(), {"note": "handmade"})
    write_analysis(snap, analysis_tables())
    return snap
