"""Benchmark: the crawl on a bad day — the 40-account fleet under throttling and 5xx, vs the same fleet
unfaulted in the same run.

    .venv/bin/python bench/faults.py [--clients 40] [--workers 16] [--latency-ms 0] [--max-attempts N]

A 40-account x 2-region demo fleet is served by moto in this process; the fault layer
(audit.demo.inject) answers a fraction of requests with each service's real throttling error body
and another with 500/503. Each crawl runs in its own child process (as bench/crawl.py does), with
the fleet's accounts.yaml (retry mode and attempts as configured there, or --max-attempts). Scenarios:

- unfaulted                     (the baseline; the fleet's own faults only: one role denied, one Lambda region denied)
- throttle=20%,5xx=5%
- throttle=50%,5xx=5%

Per scenario: rows lost against the unfaulted crawl (by row identity, table by table; target 0),
error rows beyond the baseline's (by class), calls (retries included) and wall time, and the
ratios to the baseline. Fault decisions are seeded (--seed): the same run meets the same faults.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from fleetenv import add_child_arguments, quiet_bench_env  # bench/ is on sys.path when a bench script runs

SCENARIOS = ("", "throttle=20%,5xx=5%", "throttle=50%,5xx=5%")


def child(args: argparse.Namespace) -> None:
    """One crawl (in a child process, so the crawler shares no GIL with the moto server)."""
    logging.disable(logging.WARNING)
    from audit.aws.crawler import crawl
    from audit.config import load_accounts
    from audit.options import CrawlOptions

    config = load_accounts(args.accounts)
    if args.max_attempts:
        retry = config.defaults.retry.model_copy(update={"max_attempts": args.max_attempts})
        config = config.model_copy(update={"defaults": config.defaults.model_copy(update={"retry": retry})})
    start = time.perf_counter()
    result = crawl(config, Path(args.out), CrawlOptions(endpoint_url=args.endpoint, workers=args.workers, progress=False))
    print(json.dumps({"wall": time.perf_counter() - start, "calls": result.calls, "snapshot": str(result.snapshot_dir),
                      "ok": result.accounts_ok, "partial": result.accounts_partial, "failed": result.accounts_failed}))


def run_child(fleet: Any, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", "--accounts", str(fleet.accounts_file), "--endpoint", fleet.endpoint_url,
           "--out", str(out), "--workers", str(args.workers), "--max-attempts", str(args.max_attempts or 0)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--max-attempts", type=int, default=0, help="override accounts.yaml (0: keep it)")
    parser.add_argument("--seed", type=int, default=1)
    add_child_arguments(parser, accounts_only=False)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    quiet_bench_env()
    from audit.aws.collectors import REGISTRY
    from audit.config import load_accounts
    from audit.demo.compare import Crawled, lost_rows
    from audit.demo.fleet import start_fleet
    from audit.demo.inject import parse_faults

    tables = sorted({t for c in REGISTRY.values() for t in c.tables})
    tmp = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    t = time.perf_counter()
    fleet = start_fleet(args.clients, out=tmp / "fleet", repos=False, latency_ms=args.latency_ms)
    retry = load_accounts(fleet.accounts_file).defaults.retry
    print(f"fleet: {args.clients} clients x 2 regions seeded in {time.perf_counter() - t:.1f}s; retry mode "
          f"{retry.mode}, max attempts {args.max_attempts or retry.max_attempts}, workers {args.workers}, "
          f"latency {args.latency_ms:.0f} ms", flush=True)
    runs: list[dict[str, Any]] = []
    try:
        for i, text in enumerate(SCENARIOS):
            spec = parse_faults(f"{text},seed={args.seed}" if text else "")
            with fleet.inject(spec) as stats:
                out = run_child(fleet, tmp / f"crawl{i}", args)
                out["stats"] = {"requests": stats.requests, "throttled": stats.throttled,
                                "server_errors": stats.server_errors}
            out["name"], out["crawled"] = text or "unfaulted", Crawled.read(Path(out["snapshot"]), tables)
            runs.append(out)
            print(f"  {out['name']}: {out['wall']:.1f}s, {out['calls']} calls", flush=True)
    finally:
        fleet.stop()

    base = runs[0]
    base_errors = Counter(base["crawled"].errors["error_class"])
    base_rows = sum(sum(c.values()) for c in base["crawled"].rows.values())
    lines = [f"{'scenario':<22} {'rows lost':>9} {'extra error rows':>17} {'calls':>7} {'x base':>6} "
             f"{'wall s':>7} {'x base':>6}  injected (throttled/5xx of requests)  lost by table / extra errors by class"]
    for run in runs:
        crawled: Any = run["crawled"]
        lost = lost_rows(base["crawled"], crawled, tables)
        extra = Counter(crawled.errors["error_class"]) - base_errors
        s = run["stats"]
        injected = f"{s['throttled']}/{s['server_errors']} of {s['requests']}" if s["requests"] else "-"
        lines.append(f"{run['name']:<22} {sum(lost.values()):>9} {sum(extra.values()):>17} {run['calls']:>7} "
                     f"{run['calls'] / base['calls']:>6.2f} {run['wall']:>7.1f} {run['wall'] / base['wall']:>6.2f}  "
                     f"{injected:<36} {dict(lost) or ''} {dict(extra) or ''}")
    print(f"baseline: {base_rows} rows in {len(tables)} tables, {len(base['crawled'].errors)} error rows "
          f"({dict(base_errors)}); target: 0 rows lost")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
