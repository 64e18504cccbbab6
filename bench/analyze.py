"""Benchmark: `analyze` end to end on a synthetic inventory of 2,000 clients (~100k units).

The inventory is generated directly as tables (no AWS, no moto) and written as a snapshot; then
`audit.analysis.run.analyze` runs on it exactly as `cicd-audit analyze` would (catalog validation,
units, patterns, similarity, baseline, delivery, rules, scoring with Monte Carlo, parquet output).

Baselines measured in the same run:
  * floor: reading every input table of the snapshot into pandas (the analysis cannot be faster);
  * scaling: the same analysis on a 10x smaller inventory (200 clients): near-linear is ~10x.
Targets on this 2-core machine: < 20 s and < 2 GB peak RSS for 2,000 clients.

    .venv/bin/python bench/analyze.py [--clients 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from audit.analysis.frames import load_inventory, to_table
from audit.analysis.run import analyze
from audit.config import ManualStep, SprintCalendar, Survey
from audit.store.snapshots import Snapshot, write_snapshot

REGION = "eu-west-1"
CATALOG = Path(__file__).resolve().parents[1] / "inventory" / "catalog.yaml"
START = pd.Timestamp("2026-01-05", tz="UTC")


def _res(acc: np.ndarray, client: np.ndarray, names: np.ndarray, kind: str, managed_by=None) -> dict:
    return {"account_id": acc, "client": client, "region": REGION,
            "arn": [f"arn:aws:{kind}:{REGION}:{a}:{n}" for a, n in zip(acc, names, strict=True)],
            "name": names, "tags": "{}", "managed_by": managed_by}


def generate(clients: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Four teams' patterns across `clients` accounts, ~50 units and ~250 deploys per client."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"{100000000000 + i:012d}" for i in range(clients)])
    names = np.array([f"client-{i:04d}" for i in range(clients)])
    team_sets = [["web"], ["data"], ["web", "data"], ["java"], ["web", "ops"], ["data", "java"]]
    teams = [team_sets[i % len(team_sets)] for i in range(clients)]
    out: dict[str, pd.DataFrame] = {}
    out["accounts"] = pd.DataFrame({"account_id": ids, "client": names, "teams": teams,
                                    "status": np.where(rng.random(clients) < 0.01, "failed", "ok"),
                                    "regions": [[REGION]] * clients})
    per = {"web": 19, "data": 19, "java": 10}  # pipelines per client by kind (Poisson means)
    pipes, stacks, ecs, fns, asgs, groups, actions = [], [], [], [], [], [], []
    for kind, lam in per.items():
        counts = rng.poisson(lam, clients)
        acc = np.repeat(ids, counts)
        cli = np.repeat(names, counts)
        idx = np.concatenate([np.arange(c) for c in counts]) if counts.sum() else np.array([], int)
        pname = np.array([f"{kind}-{i}" for i in idx])
        n = len(acc)
        repo = np.array([f"{kind}-repo-{i % 10}" for i in idx])
        p = _res(acc, cli, pname, "codepipeline")
        p.update(source_provider="CodeStarSourceConnection" if kind != "data" else "CodeCommit",
                 source_repository=[f"org/{r}" for r in repo], build_providers=[["CodeBuild"]] * n,
                 manual_approvals=(rng.random(n) < (0.9 if kind == "web" else 0.2)).astype(int))
        if kind == "java":
            grp = np.array([f"{x}-group" for x in pname])
            p.update(deploy_providers=[["CodeDeploy"]] * n, deploy_stack_names=[[]] * n,
                     codedeploy_targets=[[f"{x}-app/{g}"] for x, g in zip(pname, grp, strict=True)])
            actions.append(pd.DataFrame({"account_id": acc, "client": cli, "region": REGION, "pipeline_name": pname,
                                         "stage": "Deploy", "category": "Deploy", "provider": "CodeDeploy",
                                         "configuration": [json.dumps({"ApplicationName": f"{x}-app",
                                                                       "DeploymentGroupName": g})
                                                           for x, g in zip(pname, grp, strict=True)]}))
            asg_names = np.array([f"{x}-asg" for x in pname])
            asgs.append(pd.DataFrame(_res(acc, cli, asg_names, "autoscaling")))
            groups.append(pd.DataFrame({**_res(acc, cli, grp, "codedeploy"), "application_name": [
                f"{x}-app" for x in pname], "compute_platform": "Server",
                "deployment_type": np.where(rng.random(n) < 0.7, "BLUE_GREEN", "IN_PLACE"),
                "auto_rollback": rng.random(n) < 0.5, "rollback_alarms": [["cpu"]] * n,
                "autoscaling_groups": [[a] for a in asg_names]}))
        else:
            sname = np.array([f"{x}-stack" for x in pname])
            p.update(deploy_providers=[["CloudFormation"]] * n, deploy_stack_names=[[s] for s in sname],
                     codedeploy_targets=[[]] * n)
            stacks.append(pd.DataFrame({**_res(acc, cli, sname, "cloudformation"),
                                        "iac_tool": "cloudformation" if kind == "web" else "sam",
                                        "status": "UPDATE_COMPLETE"}))
            if kind == "web":
                ecs.append(pd.DataFrame({**_res(acc, cli, np.array([f"{x}-svc" for x in pname]), "ecs", sname),
                                         "deployment_controller": np.where(rng.random(n) < 0.85, "CODE_DEPLOY",
                                                                           "ECS")}))
            else:
                fns.append(pd.DataFrame({**_res(acc, cli, np.array([f"{x}-fn" for x in pname]), "lambda", sname),
                                         "package_type": "Zip"}))
        pipes.append(pd.DataFrame(p))
    # manual units: unmanaged functions and services, ~12 per client
    counts = rng.poisson(12, clients)
    acc, cli = np.repeat(ids, counts), np.repeat(names, counts)
    idx = np.concatenate([np.arange(c) for c in counts])
    is_fn = rng.random(len(acc)) < 0.5
    fns.append(pd.DataFrame({**_res(acc[is_fn], cli[is_fn], np.array([f"manual-fn-{i}" for i in idx[is_fn]]),
                                    "lambda"), "package_type": "Zip"}))
    ecs.append(pd.DataFrame({**_res(acc[~is_fn], cli[~is_fn],
                                    np.array([f"manual-svc-{i}" for i in idx[~is_fn]]), "ecs"),
                             "deployment_controller": "ECS"}))
    out.update(pipelines=pd.concat(pipes, ignore_index=True), stacks=pd.concat(stacks, ignore_index=True),
               ecs_services=pd.concat(ecs, ignore_index=True), lambda_functions=pd.concat(fns, ignore_index=True),
               autoscaling_groups=pd.concat(asgs, ignore_index=True),
               codedeploy_groups=pd.concat(groups, ignore_index=True),
               pipeline_actions=pd.concat(actions, ignore_index=True))
    # baseline material: roles, buckets, ECR repositories, alarms
    base = []
    for kind, table, items in (("iam", "iam_roles", ["{c}-deploy-role", "{c}-audit", "codebuild-{c}-service"]),
                               ("s3", "s3_buckets", ["{c}-artifacts-{a}", "{c}-logs", "{c}-data"]),
                               ("ecr", "ecr_repositories", ["{c}/web", "{c}/worker"]),
                               ("cloudwatch", "cloudwatch_alarms", ["{c}-cpu", "{c}-5xx"])):
        keep = rng.random((clients, len(items))) < 0.8
        a_idx, i_idx = np.nonzero(keep)
        frame = pd.DataFrame(_res(ids[a_idx], names[a_idx], np.array(
            [items[i].format(c=names[a], a=ids[a]) for a, i in zip(a_idx, i_idx, strict=True)]), kind))
        if table == "iam_roles":
            frame["trust_kind"] = "cross-account"
        if table == "cloudwatch_alarms":
            frame["namespace"], frame["metric_name"] = "AWS/ECS", np.where(i_idx == 0, "CPUUtilization", "5XX")
        if table == "ecr_repositories":
            frame["scan_on_push"] = rng.random(len(frame)) < 0.6
        base.append((table, frame))
    out.update(dict(base))
    # history: ~6 executions per pipeline over 12 weeks, 8% failures, commit times on half of them
    pl = out["pipelines"]
    k = rng.poisson(6, len(pl))
    rows = np.repeat(np.arange(len(pl)), k)
    n = len(rows)
    end = START + pd.to_timedelta(rng.integers(0, 84 * 24 * 3600, n), unit="s")
    out["pipeline_executions"] = pd.DataFrame({
        "account_id": pl["account_id"].to_numpy()[rows], "client": pl["client"].to_numpy()[rows], "region": REGION,
        "pipeline_name": pl["name"].to_numpy()[rows], "execution_id": np.arange(n).astype(str),
        "status": np.where(rng.random(n) < 0.08, "Failed", "Succeeded"), "start_time": end - pd.Timedelta("20min"),
        "end_time": end, "source_revision_time": pd.Series(end - pd.to_timedelta(
            rng.integers(1, 72 * 3600, n), unit="s")).where(rng.random(n) < 0.5)})
    repos = [(f"{kind}-repo-{i}", kind) for kind in per for i in range(10)]
    out["repos"] = pd.DataFrame({"repo": [r for r, _ in repos], "team": [t for _, t in repos],
                                 "url": [f"https://github.com/org/{r}" for r, _ in repos], "status": "ok",
                                 "clients": [[]] * len(repos)})
    return out


def surveys() -> dict[str, Survey]:
    cal = SprintCalendar(length_days=14, anchor="2026-01-05", release_weekday="thu")
    return {t: Survey(team=t, sprint=cal, manual_steps=[ManualStep(name="deploy", minutes=25)], deploys_per_sprint=3,
                      hotfixes_per_month=2) for t in ("web", "data", "java", "ops")}


def write(root: Path, clients: int, seed: int) -> Snapshot:
    tables = {name: to_table(name, frame) for name, frame in generate(clients, seed).items()}
    return Snapshot(write_snapshot(root, "2026-04-01", tables, {"history_days": 84}, section="crawl"))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(clients: int, seed: int, root: Path) -> tuple[float, float, dict, dict]:
    snap = write(root / f"c{clients}", clients, seed)
    t0 = time.perf_counter()
    load_inventory(snap)
    floor = time.perf_counter() - t0
    timings: dict = {}
    t0, c0 = time.perf_counter(), time.process_time()
    out = analyze(snap, CATALOG, surveys(), previous=None, timings=timings)
    elapsed = time.perf_counter() - t0
    timings["cpu"] = time.process_time() - c0
    sizes = {name: len(frame) for name, frame in out.items()}
    return elapsed, floor, timings, sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-analyze-") as tmp:
        small, _, _, small_sizes = run(max(args.clients // 10, 1), args.seed, Path(tmp))
        elapsed, floor, timings, sizes = run(args.clients, args.seed, Path(tmp))
    rss = peak_rss_mb()
    print(f"clients={args.clients} units={sizes['units']} ranking={sizes['ranking']} "
          f"similarity_pairs={sizes['similarity']} delivery_rows={sizes['delivery']}")
    cpu = timings.pop("cpu")
    print("phases (wall): " + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
    load = os.getloadavg()[0]
    print(f"analyze: {elapsed:.2f}s wall, {cpu:.2f}s CPU (target < 20 s)   peak RSS: {rss:.0f} MB (target < 2048 MB)"
          f"   load average {load:.1f} on {os.cpu_count()} cores")
    print(f"floor (read all input tables): {floor:.2f}s -> analyze / floor = {elapsed / max(floor, 1e-9):.1f}x")
    print(f"scaling: {args.clients // 10} clients ({small_sizes['units']} units) {small:.2f}s -> "
          f"10x clients costs {elapsed / max(small, 1e-9):.1f}x the time")
    ok = elapsed < 20 and rss < 2048
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
