"""Benchmark: where the crawl's client CPU goes, and threads vs process workers, in one run.

    .venv/bin/python bench/scale.py [--clients 40] [--latency-ms 100] [--workers 16]

A 40-account x 2-region demo fleet is served by moto in this process with `latency_ms` per request;
each crawl runs in its own child process (its CPU is its own and its workers', never moto's):

- before:    today's thread pool with botocore's own client creation (a ServiceModel and a client
             class built for every client: `audit.aws.session._share_models` switched off)
- threads:   the thread pool with the shared models and classes (the default)
- processes: `--executor processes` (a local dask cluster, one worker process per core)

For each: wall time, CPU (user+sys of the crawl process and its worker processes), CPU per call,
cores used (CPU / wall), clients built and their creation CPU (ms each; measured in-process, so
not for the process workers). Then a cProfile of one account's crawl (no latency) by top-level
bucket: client creation, request signing, response parsing, serialising, HTTP, our own hooks.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

from fleetenv import add_child_arguments, quiet_bench_env  # bench/ is on sys.path when a bench script runs


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the process workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed_clients(session: Any) -> dict[str, float]:
    """Count the clients this process builds and the CPU their creation costs (thread CPU)."""
    built = {"clients": 0, "cpu": 0.0}
    make = session.AwsContext._make

    def timed_make(self: Any, *a: Any, **kw: Any) -> Any:
        t0 = time.thread_time()
        try:
            return make(self, *a, **kw)
        finally:
            built["clients"] += 1
            built["cpu"] += time.thread_time() - t0

    session.AwsContext._make = timed_make  # type: ignore[method-assign]
    return built


class _Inline(Executor):
    """Runs each task in the submitting thread (so one cProfile sees every call)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the crawl like any executor would
            future.set_exception(exc)
        return future


def child(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    from audit.aws import session
    from audit.aws.crawler import crawl
    from audit.config import load_accounts
    from audit.options import CrawlOptions

    if args.child in ("before", "profile-before"):
        session._share_models = lambda _session: None  # botocore's own creation, for the baseline
    built = _timed_clients(session)
    only = tuple(a for a in (args.accounts_only or "").split(",") if a) or None
    options = CrawlOptions(endpoint_url=args.endpoint, workers=args.workers, progress=False, accounts_only=only,
                           executor="processes" if args.child == "processes" else "threads")
    config = load_accounts(args.accounts)
    if args.child.startswith("profile"):
        # CPU time, not wall (a loaded machine's waits are not the client's cost); one thread: the
        # tasks run inline in it
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        result = crawl(config, Path(args.out), options, executor=_Inline())
        profiler.disable()
        print(json.dumps({"calls": result.calls, "buckets": _buckets(profiler)}))
        return
    cpu0, start = _cpu(), time.perf_counter()
    result = crawl(config, Path(args.out), options)
    wall, cpu = time.perf_counter() - start, _cpu() - cpu0
    print(json.dumps({"wall": wall, "cpu": cpu, "calls": result.calls, "ok": result.accounts_ok,
                      "partial": result.accounts_partial, "failed": result.accounts_failed,
                      "clients": built["clients"], "client_cpu": built["cpu"]}))


# botocore / urllib3 functions whose cumulative time is one bucket of a call's client CPU
BUCKETS = {
    "client creation": [("botocore/session.py", "create_client")],
    "request signing": [("botocore/signers.py", "sign")],
    "response parsing": [("botocore/parsers.py", "parse")],
    "request serialising": [("botocore/validate.py", "validate_parameters"),
                            ("botocore/serialize.py", "serialize_to_request")],
    "HTTP send/receive": [("botocore/endpoint.py", "_send")],
    "event dispatch": [("botocore/hooks.py", "emit")],
    "our hooks (guard, counter)": [("audit/aws/guard.py", "refuse_undeclared"), ("audit/aws/guard.py", "on_send")],
    "all API calls": [("botocore/client.py", "_make_api_call")],
}


def _buckets(profiler: cProfile.Profile) -> dict[str, float]:
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    out = {}
    for bucket, names in BUCKETS.items():
        out[bucket] = sum(ct for (file, _, fn), (_, _, _, ct, _) in stats.items()
                          if any(file.endswith(f) and fn == n for f, n in names))
    return out


def run_child(mode: str, fleet: Any, out: Path, workers: int, only: list[str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", mode, "--accounts", str(fleet.accounts_file), "--endpoint",
           fleet.endpoint_url, "--out", str(out), "--workers", str(workers)]
    if only:
        cmd += ["--accounts-only", ",".join(only)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(name: str, r: dict[str, Any]) -> str:
    per_call = 1000 * r["cpu"] / max(1, r["calls"])
    clients = (f"{r['clients']} clients built here, {1000 * r['client_cpu'] / r['clients']:.1f} ms each"
               if r["clients"] else "clients built in the worker processes")
    return (f"{name:<10} {r['wall']:6.1f}s wall  {r['cpu']:6.1f}s CPU  {r['cpu'] / r['wall']:4.2f} cores  "
            f"{r['calls']:6d} calls  {per_call:5.2f} ms CPU/call  {clients}  "
            f"(ok {r['ok']}, partial {r['partial']}, failed {r['failed']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--workers", type=int, default=16)
    add_child_arguments(parser, ["before", "threads", "processes", "profile-before", "profile-after"])
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    quiet_bench_env()
    from audit.demo.fleet import start_fleet

    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    t = time.perf_counter()
    fleet = start_fleet(args.clients, out=tmp / "fleet", repos=False, latency_ms=0)
    print(f"fleet: {args.clients} clients x 2 regions seeded in {time.perf_counter() - t:.1f}s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    try:
        first = sorted(fleet.expected)[:1]
        profiles = {mode: run_child(f"profile-{mode}", fleet, tmp / f"profile-{mode}", 4, first)
                    for mode in ("before", "after")}
        fleet.server.set_latency(args.latency_ms)
        runs = {}
        for mode in ("before", "threads", "processes"):
            runs[mode] = run_child(mode, fleet, tmp / mode, args.workers)
            print(_line(mode, runs[mode]), flush=True)
    finally:
        fleet.stop()
    before, threads, processes = runs["before"], runs["threads"], runs["processes"]
    print(f"accounts: {args.clients} x 2 regions, latency {args.latency_ms:.0f} ms/request, workers {args.workers}")
    print(f"client creation: {1000 * before['client_cpu'] / before['clients']:.1f} ms before -> "
          f"{1000 * threads['client_cpu'] / threads['clients']:.1f} ms after "
          f"({before['client_cpu'] / max(1e-9, threads['client_cpu']):.2f}x less CPU for {threads['clients']} clients)")
    per = {k: 1000 * r["cpu"] / max(1, r["calls"]) for k, r in runs.items()}
    print(f"CPU per call: before {per['before']:.2f} ms, threads {per['threads']:.2f} ms, processes "
          f"{per['processes']:.2f} ms; cores used: threads {threads['cpu'] / threads['wall']:.2f}, processes "
          f"{processes['cpu'] / processes['wall']:.2f}; wall processes/threads "
          f"{processes['wall'] / threads['wall']:.2f}")
    print("profile of one account, no latency (cumulative CPU seconds of the crawl process; buckets overlap: "
          "'event dispatch' includes our hooks, 'all API calls' includes signing, parsing and HTTP)")
    for bucket in BUCKETS:
        b, a = profiles["before"]["buckets"][bucket], profiles["after"]["buckets"][bucket]
        print(f"  {bucket:<28} before {b:6.2f}s  after {a:6.2f}s")
    print(f"  calls: {profiles['after']['calls']}")


if __name__ == "__main__":
    main()
