# ruff: noqa: B023, SIM105  (the naive crawler's step functions run inside the loop that binds them)
"""Benchmark: cicd-audit's crawl vs a naive sequential crawler, and vs this machine's floor.

    .venv/bin/python bench/crawl.py [--clients 40] [--latency-ms 100] [--workers 16] [--naive-accounts 4]

A 40-account x 2-region demo fleet is served by moto in this process with `latency_ms` injected per
request on the server side (every client pays it the same way). Each crawler runs in its own child
process, so peak RSS is the crawler's alone and neither shares a GIL with the server:

- ours:  `audit.aws.crawler.crawl` (thread pool, shared loader, batch APIs, client cache)
- naive: one boto3 Session per account, no batch APIs, no threads, same resource types. It would
         take many minutes on 40 accounts, so it runs on an evenly spread subset of accounts and its
         time and calls are extrapolated linearly (the output says so); ours also runs on that subset
         for a like-for-like call count.
- floor: max(calls x latency / workers, calls / moto's calls-per-second), with moto's throughput
         measured in this run with no latency two ways: raw (16 threads of one cheap read; the
         strict floor) and for the crawl's own call mix (our crawl without latency). moto serves
         from one Python process, so heavier operations (DescribeStacks, GetTemplate, ...) cost it
         more CPU than ListPipelines: the mix floor is the machine's real limit for this workload.

Targets: >= 15x faster than naive, calls <= naive's, <= 1.5x the floor, peak RSS < 400 MB.

    .venv/bin/python bench/crawl.py --profile realistic [--accounts-n 5] [--latency-ms 50]
                                    [--in-flight 48] [--baseline-src DIR] [--rounds 3] [--no-pin]

The realistic-client profile (bench/realistic.py: 30 pipelines x 50 executions, 200 functions, 50
stacks, 150 alarms, 100 buckets, 20 ECR repositories, history; every row complete) served with 50 ms
latency: calls per account by collector, client CPU per call, wall time, and a projection for 500
accounts x 4 regions, for ours (threads: a 2-core runner's two cores are two `--shard` processes),
ours with `--executor processes` (its dask workers' CPU included), the naive crawler (one account)
and, with `--baseline-src`, the crawler of another checkout's `src/` (main before a change, or the
crawler the issue was filed against: `git worktree add /tmp/base a6371e1`) measured in the same run. Each
crawler also crawls the first account alone, so the projection's CPU term splits what a process
spends once (service models, client classes) from the CPU per call of further accounts. This
machine's CPU time per unit of work drifts by 25-40% between runs, so each crawl runs `--rounds`
times, the crawlers taking turns (who goes first alternates), and the least CPU of each counts
(noise only ever adds).
The fleet server (moto: several times the client's CPU per request) runs on one core and every
crawler child on the other (`--no-pin`: both share both cores), so the client CPU measured is a
crawler process's own, as on a runner where no server competes for its core and caches.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fleetenv import add_child_arguments, quiet_bench_env  # bench/ is on sys.path when a bench script runs

# ---- the naive crawler (benchmark baseline only) -------------------------------------------------


def naive_crawl(accounts_file: str, endpoint: str, only: list[str]) -> dict[str, Any]:
    """What a first script would do: sequential, a fresh boto3 Session per account, one item per call."""
    import boto3

    from audit.config import load_accounts

    config = load_accounts(accounts_file)
    calls = 0

    def count(**_: Any) -> None:
        nonlocal calls
        calls += 1

    def mk(session: Any, service: str, region: str) -> Any:
        client = session.client(service, region_name=region, endpoint_url=endpoint)
        client.meta.events.register("before-send", count)
        return client

    def attempt(fn: Any) -> None:
        try:
            fn()
        except Exception:  # noqa: BLE001 - the naive crawler just moves on
            pass

    start = time.perf_counter()
    for c in config.clients:
        if c.account_id not in only:
            continue
        base = boto3.Session()
        sts = mk(base, "sts", "us-east-1")
        try:
            creds = sts.assume_role(RoleArn=c.role_arn(config.defaults), RoleSessionName="naive-crawl",
                                    ExternalId=c.external_id or config.defaults.external_id or "none")["Credentials"]
        except Exception:  # noqa: BLE001
            continue
        s = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"])
        regions = config.regions_for(c)
        for region in regions:
            def codepipeline() -> None:
                cp = mk(s, "codepipeline", region)
                for p in cp.list_pipelines()["pipelines"]:
                    arn = cp.get_pipeline(name=p["name"])["metadata"]["pipelineArn"]
                    cp.list_tags_for_resource(resourceArn=arn)
                    cp.list_pipeline_executions(pipelineName=p["name"])

            def codebuild() -> None:
                cb = mk(s, "codebuild", region)
                for name in cb.list_projects()["projects"]:
                    cb.batch_get_projects(names=[name])
                    for build_id in cb.list_builds_for_project(projectName=name)["ids"]:
                        cb.batch_get_builds(ids=[build_id])

            def codedeploy() -> None:
                cd = mk(s, "codedeploy", region)
                for app in cd.list_applications()["applications"]:
                    cd.get_application(applicationName=app)
                    cd.list_tags_for_resource(ResourceArn=f"arn:aws:codedeploy:{region}:{c.account_id}:application:{app}")
                    for g in cd.list_deployment_groups(applicationName=app)["deploymentGroups"]:
                        cd.get_deployment_group(applicationName=app, deploymentGroupName=g)
                        cd.list_tags_for_resource(
                            ResourceArn=f"arn:aws:codedeploy:{region}:{c.account_id}:deploymentgroup:{app}/{g}")
                for d in cd.list_deployments()["deployments"]:
                    cd.get_deployment(deploymentId=d)

            def cloudformation() -> None:
                cfn = mk(s, "cloudformation", region)
                for st in cfn.describe_stacks()["Stacks"]:
                    cfn.list_stack_resources(StackName=st["StackName"])
                    cfn.get_template(StackName=st["StackName"])
                for ss in cfn.list_stack_sets()["Summaries"]:
                    cfn.describe_stack_set(StackSetName=ss["StackSetName"])
                    cfn.list_stack_instances(StackSetName=ss["StackSetName"])

            def ecs() -> None:
                e = mk(s, "ecs", region)
                for cluster in e.list_clusters()["clusterArns"]:
                    e.describe_clusters(clusters=[cluster], include=["TAGS"])
                    for svc in e.list_services(cluster=cluster)["serviceArns"]:
                        d = e.describe_services(cluster=cluster, services=[svc], include=["TAGS"])["services"][0]
                        e.describe_task_definition(taskDefinition=d["taskDefinition"])

            def eks() -> None:
                k = mk(s, "eks", region)
                for name in k.list_clusters()["clusters"]:
                    k.describe_cluster(name=name)

            def lambda_() -> None:
                lam = mk(s, "lambda", region)
                for f in lam.list_functions()["Functions"]:
                    lam.list_tags(Resource=f["FunctionArn"])

            def beanstalk() -> None:
                eb = mk(s, "elasticbeanstalk", region)
                for a in eb.describe_applications()["Applications"]:
                    attempt(lambda a=a: eb.list_tags_for_resource(ResourceArn=a["ApplicationArn"]))
                for env in eb.describe_environments()["Environments"]:
                    eb.list_tags_for_resource(ResourceArn=env["EnvironmentArn"])
                    attempt(lambda env=env: eb.describe_configuration_settings(
                        ApplicationName=env["ApplicationName"], EnvironmentName=env["EnvironmentName"]))

            def ecr() -> None:
                r = mk(s, "ecr", region)
                for repo in r.describe_repositories()["repositories"]:
                    r.list_images(repositoryName=repo["repositoryName"])
                    r.list_tags_for_resource(resourceArn=repo["repositoryArn"])

            def apis() -> None:
                mk(s, "apigateway", region).get_rest_apis()
                mk(s, "apigatewayv2", region).get_apis()

            def autoscaling() -> None:
                mk(s, "autoscaling", region).describe_auto_scaling_groups()
                mk(s, "ec2", region).describe_launch_templates()

            def cloudwatch() -> None:
                cw = mk(s, "cloudwatch", region)
                for alarm in cw.describe_alarms()["MetricAlarms"]:
                    cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])

            for step in (codepipeline, codebuild, codedeploy, cloudformation, ecs, eks, lambda_, beanstalk, ecr,
                         apis, autoscaling, cloudwatch):
                attempt(step)

        def s3() -> None:
            b3 = mk(s, "s3", "us-east-1")
            for b in b3.list_buckets()["Buckets"]:
                attempt(lambda b=b: b3.get_bucket_location(Bucket=b["Name"]))
                attempt(lambda b=b: b3.get_bucket_website(Bucket=b["Name"]))
                attempt(lambda b=b: b3.get_bucket_tagging(Bucket=b["Name"]))

        def cloudfront() -> None:
            cf = mk(s, "cloudfront", "us-east-1")
            for d in (cf.list_distributions()["DistributionList"].get("Items") or []):
                cf.list_tags_for_resource(Resource=d["ARN"])

        def iam() -> None:
            i = mk(s, "iam", "us-east-1")
            for r in i.list_roles()["Roles"]:
                i.get_role(RoleName=r["RoleName"])
            for p in i.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
                i.get_open_id_connect_provider(OpenIDConnectProviderArn=p["Arn"])
            for u in i.list_users()["Users"]:
                i.list_access_keys(UserName=u["UserName"])
                i.list_user_tags(UserName=u["UserName"])

        for step in (s3, cloudfront, iam):
            attempt(step)
    return {"wall": time.perf_counter() - start, "calls": calls}


# ---- child processes -------------------------------------------------------------------------------


def _maxrss_mb() -> float:
    """Peak RSS of this process. /proc's VmHWM, because ru_maxrss survives exec and would report
    the parent's (the moto fleet's) peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def moto_throughput(accounts_file: str, endpoint: str, threads: int = 16, calls: int = 800) -> dict[str, Any]:
    """moto's raw calls/s: many threads issuing one cheap read (ListPipelines) as fast as possible."""
    from concurrent.futures import ThreadPoolExecutor

    import boto3

    from audit.config import load_accounts

    c = load_accounts(accounts_file).clients[0]
    sess = boto3.Session()
    clients = [sess.client("codepipeline", region_name="eu-west-1", endpoint_url=endpoint) for _ in range(threads)]
    for cl in clients:
        cl.list_pipelines()
    per = calls // threads
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda cl: [cl.list_pipelines() for _ in range(per)], clients))
    wall = time.perf_counter() - start
    return {"wall": wall, "calls": per * threads, "cps": per * threads / wall, "account": c.account_id}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def thread_cpu(fn: Callable[..., Any], record: Callable[[tuple[Any, ...], float], None]) -> Callable[..., Any]:
    """`fn`, telling `record(args, seconds)` the calling thread's CPU of each call."""
    def timed(*a: Any, **kw: Any) -> Any:
        t0 = time.thread_time()
        try:
            return fn(*a, **kw)
        finally:
            record(a, time.thread_time() - t0)
    return timed


BOTOCORE_STAGES = {  # where a call's CPU goes inside botocore, the bench's name -> (module, class, method)
    "HTTP transport (urllib3, http.client, the socket)": ("botocore.endpoint", "Endpoint", "_send"),
    "signing": ("botocore.signers", "RequestSigner", "sign"),
    "parsing": ("botocore.parsers", "ResponseParser", "parse"),
    "endpoint rules": ("botocore.regions", "EndpointRulesetResolver", "construct_endpoint"),
}


def botocore_stages() -> dict[str, tuple[Any, str]]:
    """BOTOCORE_STAGES as (class, method name), imported."""
    import importlib

    return {name: (getattr(importlib.import_module(module), cls), method)
            for name, (module, cls, method) in BOTOCORE_STAGES.items()}


def run_crawl(crawl: Callable[..., Any], config: Any, out: Path, **options: Any) -> Any:
    """`crawl` with these options, whichever API the checkout has: `CrawlOptions` (since 2026-12-02)
    or the keyword arguments of the crawler issue 12 was filed against (a6371e1: threads only), so
    `--baseline-src` can be that crawler measured in the same run."""
    try:
        from audit.options import CrawlOptions
    except ImportError:
        if options.pop("executor") != "threads":
            raise SystemExit("this checkout's crawler has no --executor") from None
        return crawl(config, out, **options)  # its accounts_only takes any iterable, as CrawlOptions' tuple
    return crawl(config, out, CrawlOptions(**options))


def child(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    only = [a for a in (args.accounts_only or "").split(",") if a]
    if args.child == "naive":
        out = naive_crawl(args.accounts, args.endpoint, only)
    elif args.child == "moto":
        out = moto_throughput(args.accounts, args.endpoint)
    else:
        from botocore.client import BaseClient

        from audit.aws import crawler as crawler_module
        from audit.aws import session
        from audit.aws.crawler import crawl
        from audit.config import load_accounts

        per_task: dict[str, int] = {}

        def counted(fn: Any, label: Any) -> Any:
            def run(*a: Any, **kw: Any) -> Any:
                out = fn(*a, **kw)
                region = a[3] if isinstance(a[3], str) and label(a) != "session" else "global"
                key = f"{label(a)}|{a[2].account_id}|{region}"
                per_task[key] = per_task.get(key, 0) + out["calls"]
                return out
            return run

        crawler_module.run_collector = counted(crawler_module.run_collector, lambda a: a[4])
        crawler_module.start_account = counted(crawler_module.start_account, lambda a: "session")
        if hasattr(crawler_module, "read_tags"):
            crawler_module.read_tags = counted(crawler_module.read_tags, lambda a: "tags")
        built = {"clients": 0, "cpu": 0.0}
        per_op: dict[str, int] = {}
        op_cpu: dict[str, float] = {}
        stage_cpu = dict.fromkeys(BOTOCORE_STAGES, 0.0)

        def on_build(a: tuple[Any, ...], seconds: float) -> None:
            built["clients"] += 1
            built["cpu"] += seconds

        def on_call(a: tuple[Any, ...], seconds: float) -> None:  # which operations, and their CPU
            key = f"{a[0].meta.service_model.service_name}:{a[1]}"
            per_op[key] = per_op.get(key, 0) + 1
            op_cpu[key] = op_cpu.get(key, 0.0) + seconds

        def on_stage(name: str) -> Callable[[tuple[Any, ...], float], None]:
            def record(a: tuple[Any, ...], seconds: float) -> None:
                stage_cpu[name] += seconds
            return record

        session.AwsContext._make = thread_cpu(session.AwsContext._make, on_build)  # type: ignore[method-assign]
        BaseClient._make_api_call = thread_cpu(BaseClient._make_api_call, on_call)  # type: ignore[method-assign]
        for name, (owner, method) in botocore_stages().items():
            setattr(owner, method, thread_cpu(getattr(owner, method), on_stage(name)))
        start, cpu, workers_cpu = time.perf_counter(), time.process_time(), _children_cpu()
        result = run_crawl(crawl, load_accounts(args.accounts), Path(args.out), endpoint_url=args.endpoint,
                           workers=args.workers, accounts_only=tuple(only) or None, progress=False,
                           executor="processes" if args.child == "processes" else "threads")
        # with process workers, their CPU too (reaped when the local cluster closes); what the
        # hooks above count happens in this process only, so per task/operation/stage stay empty
        cpu = time.process_time() - cpu + _children_cpu() - workers_cpu
        out = {"wall": time.perf_counter() - start, "cpu": cpu, "calls": result.calls,
               "ok": result.accounts_ok, "partial": result.accounts_partial, "failed": result.accounts_failed,
               "errors": result.errors, "clients": built["clients"], "client_cpu": built["cpu"],
               "per_task": per_task, "per_op": per_op, "op_cpu": op_cpu, "stage_cpu": stage_cpu}
    out["maxrss_mb"] = _maxrss_mb()
    print(json.dumps(out))


def run_child(mode: str, fleet: Any, out: Path, workers: int, only: list[str] | None = None,
              src: str | None = None, cpus: set[int] | None = None) -> dict[str, Any]:
    """One crawler in a child process; `src` puts another checkout's src/ first on its path,
    `cpus` keeps it on those cores."""
    cmd = [sys.executable, __file__, "--child", mode, "--accounts", str(fleet.accounts_file), "--endpoint",
           fleet.endpoint_url, "--out", str(out), "--workers", str(workers)]
    if only:
        cmd += ["--accounts-only", ",".join(only)]
    env = {**os.environ, "PYTHONPATH": src} if src else None
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env, preexec_fn=pin)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--naive-accounts", type=int, default=4, help="subset size for the naive crawler")
    parser.add_argument("--profile", choices=["fleet", "realistic"], default="fleet")
    parser.add_argument("--accounts-n", type=int, default=5, help="realistic profile: accounts seeded (the CPU "
                        "per call of the accounts beyond the first is a difference: more of them, less noise)")
    parser.add_argument("--in-flight", type=int, default=48, help="realistic profile: in-flight requests "
                        "of the projection (docs/crawler.md's sizing: --workers 32-48 on a 2-core runner)")
    parser.add_argument("--baseline-src", help="realistic profile: another checkout's src/ to measure too")
    parser.add_argument("--rounds", type=int, default=3, help="realistic profile: runs of each crawl, crawlers "
                        "taking turns; the least CPU counts")
    parser.add_argument("--size-factor", type=float, default=1.0, help="realistic profile: scale the sizes "
                        "(a quick smoke run)")
    parser.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True,
                        help="realistic profile: fleet server on one core, crawlers on another")
    add_child_arguments(parser, ["ours", "processes", "naive", "moto"])
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    quiet_bench_env()
    if args.profile == "realistic":
        if "--latency-ms" not in sys.argv:
            args.latency_ms = 50
        realistic_main(args)
        return
    from audit.demo.fleet import start_fleet

    tmp = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    t = time.perf_counter()
    fleet = start_fleet(args.clients, out=tmp / "fleet", repos=False, latency_ms=0)
    print(f"fleet: {args.clients} clients x 2 regions seeded in {time.perf_counter() - t:.1f}s", flush=True)
    try:
        ids = list(fleet.expected)
        step = max(1, len(ids) // args.naive_accounts)
        subset = ids[::step][: args.naive_accounts]
        scale = len(ids) / len(subset)

        warm = run_child("ours", fleet, tmp / "warm", args.workers)
        mix_cps = warm["calls"] / warm["wall"]
        raw = run_child("moto", fleet, tmp / "moto", args.workers)
        cps = max(raw["cps"], mix_cps)  # the faster measurement gives the stricter floor
        print(f"moto, no latency: raw {raw['cps']:.0f} calls/s (ListPipelines x 16 threads); our crawl's call mix "
              f"{warm['calls']} calls in {warm['wall']:.1f}s = {mix_cps:.0f} calls/s; floor uses {cps:.0f}/s",
              flush=True)

        fleet.server.set_latency(args.latency_ms)
        ours = run_child("ours", fleet, tmp / "ours", args.workers)
        ours_subset = run_child("ours", fleet, tmp / "ours-subset", args.workers, subset)
        naive = run_child("naive", fleet, tmp / "naive", 1, subset)
    finally:
        fleet.stop()

    latency = args.latency_ms / 1000
    naive_wall, naive_calls = naive["wall"] * scale, naive["calls"] * scale
    floor = max(ours["calls"] * latency / args.workers, ours["calls"] / cps)
    mix_floor = max(ours["calls"] * latency / args.workers, ours["calls"] / mix_cps)
    lines = [
        f"accounts: {len(ids)} x 2 regions, latency {args.latency_ms:.0f} ms/request, workers {args.workers}",
        f"ours : {ours['wall']:7.1f}s  {ours['calls']:6d} calls  peak RSS {ours['maxrss_mb']:.0f} MB  "
        f"(ok {ours['ok']}, partial {ours['partial']}, failed {ours['failed']}, errors {ours['errors']})",
        f"naive: {naive_wall:7.1f}s  {naive_calls:6.0f} calls  peak RSS {naive['maxrss_mb']:.0f} MB  "
        f"(EXTRAPOLATED x{scale:.1f} from {len(subset)} accounts: {naive['wall']:.1f}s, {naive['calls']} calls)",
        f"same {len(subset)} accounts: ours {ours_subset['calls']} calls in {ours_subset['wall']:.1f}s vs naive "
        f"{naive['calls']} calls in {naive['wall']:.1f}s",
        f"speed-up vs naive: {naive_wall / ours['wall']:.1f}x   (target >= 15x)",
        f"calls ours/naive: {ours['calls'] / naive_calls:.2f} (subset {ours_subset['calls'] / naive['calls']:.2f})"
        "   (target <= 1)",
        f"floor (strict, moto's raw calls/s): max({ours['calls']} x {latency:.3f}s / {args.workers}, "
        f"{ours['calls']} / {cps:.0f}/s) = {floor:.1f}s; ours / floor = {ours['wall'] / floor:.2f}   (target <= 1.5)",
        f"floor (moto's calls/s for this call mix): max(.., {ours['calls']} / {mix_cps:.0f}/s) = {mix_floor:.1f}s; "
        f"ours / floor = {ours['wall'] / mix_floor:.2f}",
        f"client builds ours: {ours['clients']} clients, {ours['client_cpu']:.2f}s CPU "
        f"({1000 * ours['client_cpu'] / max(1, ours['clients']):.1f} ms each)",
        f"peak RSS ours: {ours['maxrss_mb']:.0f} MB   (target < 400 MB)",
    ]
    print("\n".join(lines))


# ---- the realistic-client profile ------------------------------------------------------------------

PROJECT_ACCOUNTS, PROJECT_REGIONS, CORES = 500, 4, 2
# how a crawler (by its child mode) uses the runner's cores: threads use one per process, so two processes
# with the accounts split between them (`--shard 1/2` and `2/2`; `--accounts-only` before --shard existed)
HOW_CORES = {"ours": "two processes, the accounts split between them", "processes": "a dask worker process each"}


def per_account(result: dict[str, Any], home: dict[str, str]) -> dict[str, dict[str, float]]:
    """collector -> {"home": calls per account in its home region + global, "other": per other region}."""
    sums: dict[str, dict[str, float]] = {}
    for key, calls in result["per_task"].items():
        name, account, region = key.split("|")
        where = "other" if region not in ("global", home[account]) else "home"
        sums.setdefault(name, {"home": 0.0, "other": 0.0})[where] += calls
    n = len(home)
    return {name: {k: v / n for k, v in d.items()} for name, d in sums.items()}


def projection(calls_home: float, calls_other: float, cpu_per_call: float, latency: float, in_flight: int,
               cores: int = CORES, once: float = 0.0) -> tuple[float, float, float]:
    """(total calls, latency term s, CPU term s) for PROJECT_ACCOUNTS x PROJECT_REGIONS; `once` is
    the CPU a crawler process spends once whatever it crawls (every core's process pays it)."""
    total = PROJECT_ACCOUNTS * (calls_home + (PROJECT_REGIONS - 1) * calls_other)
    return total, total * latency / in_flight, total * cpu_per_call / cores + once


def marginal_cpu(whole: dict[str, Any], one: dict[str, Any]) -> tuple[float, float]:
    """(CPU per call of the accounts beyond the first, CPU spent once per process) from a crawl of
    every account and one of the first alone: the once-per-process part (reading service models,
    the first clients' classes) is paid once per runner process, not per account, so at 500
    accounts only the marginal part grows with the calls."""
    per_call = (whole["cpu"] - one["cpu"]) / max(1, whole["calls"] - one["calls"])
    return per_call, max(0.0, one["cpu"] - per_call * one["calls"])


def split_cores(pin: bool) -> tuple[set[int], set[int] | None]:
    """(server cores, crawler cores or None): with `pin` and two cores or more, this process (the
    fleet server: its threads start after this and inherit it) takes the first core and the
    crawler children the rest."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not pin or len(cores) < 2:
        return set(cores), None
    os.sched_setaffinity(0, {cores[0]})
    return {cores[0]}, set(cores[1:])


def realistic_main(args: argparse.Namespace) -> None:
    from audit.demo.fleet import start_fleet
    from audit.demo.server import Faults
    from realistic import SIZES, seed_realistic, summary

    server_cpus, client_cpus = split_cores(args.pin)
    tmp = Path(tempfile.mkdtemp(prefix="bench-realistic-"))
    t = time.perf_counter()
    fleet = start_fleet(args.accounts_n, out=tmp / "fleet", repos=False, latency_ms=0)
    fleet.server.set_faults(Faults())  # every row complete: no denied role or service
    home = {c.account_id: c.home_region for c in fleet.model.clients}
    made = seed_realistic(fleet.endpoint_url, list(home), home, factor=args.size_factor)
    print(f"realistic fleet: {summary(made)}; seeded in {time.perf_counter() - t:.1f}s; sizes {SIZES}", flush=True)
    try:
        fleet.server.set_latency(args.latency_ms)
        one, rounds = [next(iter(home))], max(1, args.rounds)
        crawlers = {"ours": ("ours", None), "processes": ("processes", None),  # name: (child mode, src)
                    **({"before": ("ours", args.baseline_src)} if args.baseline_src else {})}
        runs: dict[str, dict[str, Any]] = {}
        firsts: dict[str, dict[str, Any]] = {}
        for n in range(rounds):
            for name, (mode, src) in list(crawlers.items())[::1 if n % 2 == 0 else -1]:  # who goes first alternates
                for box, only in ((runs, None), (firsts, one)):
                    out = tmp / f"{name}-{n}-{'1' if only else 'all'}"
                    r = run_child(mode, fleet, out, args.workers, only, src=src, cpus=client_cpus)
                    if name not in box or r["cpu"] < box[name]["cpu"]:
                        box[name] = r
        naive = run_child("naive", fleet, tmp / "naive", 1, one, cpus=client_cpus)
    finally:
        fleet.stop()
    print(f"cores: fleet server {sorted(server_cpus)}, crawlers {sorted(client_cpus)}" if client_cpus
          else "cores: fleet server and crawlers share every core (--no-pin)")
    latency = args.latency_ms / 1000
    tables = {name: per_account(r, home) for name, r in runs.items() if r["per_task"]}  # not the process workers'
    names = sorted({n for t in tables.values() for n in t}, key=lambda n: -tables["ours"].get(n, {}).get("home", 0))
    cols = list(tables)
    print(f"\ncalls per realistic account (home region + global; per other, empty region), "
          f"{len(home)} accounts, latency {args.latency_ms:.0f} ms, workers {args.workers}, least CPU of {rounds} rounds")
    print(f"{'collector':<16}" + "".join(f"{c + ' home':>13}{c + ' other':>13}" for c in cols))
    for n in names:
        print(f"{n:<16}" + "".join(f"{tables[c].get(n, {}).get('home', 0):13.0f}{tables[c].get(n, {}).get('other', 0):13.0f}"
                                   for c in cols))
    for c in runs:
        r = runs[c]
        calls = tables.get(c, tables["ours"])  # the process workers make ours' calls (+1 AssumeRole a process)
        homes = sum(v["home"] for v in calls.values())
        others = sum(v["other"] for v in calls.values())
        cpu_call = r["cpu"] / max(1, r["calls"])
        marginal, once = marginal_cpu(r, firsts[c])
        total, lat_term, cpu_term = projection(homes, others, marginal, latency, args.in_flight, once=once)
        print(f"{c:<9}: {homes:6.0f} calls per account (+{others:.0f} per other region; target <= 400), "
              f"wall {r['wall']:.1f}s for {r['calls']} calls, client CPU {1000 * cpu_call:.2f} ms/call "
              f"(accounts beyond the first: {1000 * marginal:.2f} ms/call; once per process {once:.2f}s), "
              f"peak RSS {r['maxrss_mb']:.0f} MB (ok {r['ok']}, partial {r['partial']}, errors {r['errors']})")
        print(f"           projection {PROJECT_ACCOUNTS} accounts x {PROJECT_REGIONS} regions: {total:,.0f} calls; "
              f"latency term {total:,.0f} x {latency:.3f}s / {args.in_flight} in flight = {lat_term / 60:.1f} min; "
              f"CPU term {total:,.0f} x {1000 * marginal:.2f} ms / {CORES} cores ({HOW_CORES[crawlers[c][0]]}) "
              f"+ {once:.1f}s once = "
              f"{cpu_term / 60:.1f} min; max = {max(lat_term, cpu_term) / 60:.1f} min   (target < 5 min)")
    ops, op_cpu = runs["ours"].get("per_op", {}), runs["ours"].get("op_cpu", {})
    print("ours, calls per account by operation (top 20): " + ", ".join(
        f"{op} {n / len(home):.0f}" for op, n in sorted(ops.items(), key=lambda kv: -kv[1])[:20]))
    inside, stages, n_calls = sum(op_cpu.values()), runs["ours"].get("stage_cpu", {}), max(1, runs["ours"]["calls"])
    print(f"ours, client CPU inside botocore's calls {inside:.2f}s of {runs['ours']['cpu']:.2f}s "
          f"(the rest: collectors, client builds, writing the snapshot); per call inside botocore: " + ", ".join(
              f"{name} {1000 * t / n_calls:.2f} ms" for name, t in stages.items())
          + f", the rest of botocore (events, serialising, retries, credentials) "
          f"{1000 * (inside - sum(stages.values())) / n_calls:.2f} ms; "
          "by operation, top 10: " + ", ".join(
              f"{op} {1000 * t / len(home):.0f} ms ({1000 * t / ops[op]:.2f}/call)"
              for op, t in sorted(op_cpu.items(), key=lambda kv: -kv[1])[:10]))
    print(f"naive  : {naive['calls']} calls for 1 account (both regions) in {naive['wall']:.1f}s "
          f"(sequential); ours / naive calls per account = "
          f"{runs['ours']['calls'] / len(home) / max(1, naive['calls']):.2f}")


if __name__ == "__main__":
    main()
