"""Benchmark: the whole demo, and what running the notebooks costs on top of the data work.

1. `cicd-audit demo` (24 clients by default): total wall time and each step (fleet, crawl, scan,
   analyze, notebooks, export, backlog); target < 120 s on a 2-core machine.
2. On the snapshot the demo produced, the report step three ways, measured in this run:
     - baseline A: the papermill CLI once per notebook + `jupyter nbconvert --no-input` CLI
       (how it is usually scripted: a new Python process and a new kernel per notebook);
     - baseline B: papermill's API in this process, a new kernel per notebook;
     - ours: papermill's API in this process, one kernel shared by the four notebooks.
   Prints each time and the ratios against the baselines.

Usage: .venv/bin/python bench/weekly.py [--clients 24] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from audit.demo.run import run_demo
from audit.options import ReportOptions
from audit.pipeline import WeeklyTimings
from audit.report.runner import NOTEBOOKS, RunTimings, build_report, notebooks_dir

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def cli_baseline(inventory: Path, day: str, out: Path) -> dict[str, float]:
    """papermill CLI per notebook, then nbconvert CLI: one process and one kernel each."""
    out.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    params = ["-p", "snapshot_date", day, "-p", "inventory_dir", str(inventory), "-p", "config_dir",
              str(inventory), "-p", "output_dir", str(out), "-p", "top_n", "10", "-k", "python3",
              "--no-progress-bar"]
    for name in NOTEBOOKS:
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "papermill"), str(notebooks_dir() / f"{name}.ipynb"), str(out / f"{name}.ipynb"),
                        *params], check=True, capture_output=True, cwd=out)
        times[f"papermill CLI {name}"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", "--no-prompt",
                    str(out / f"{NOTEBOOKS[-1]}.ipynb"), "--output-dir", str(out)], check=True, capture_output=True)
    times["nbconvert CLI"] = time.perf_counter() - t0
    return times


def report_step(inventory: Path, day: str, out: Path, shared: bool) -> tuple[float, RunTimings]:
    t = RunTimings()
    t0 = time.perf_counter()
    build_report(inventory, out, ReportOptions(snapshot_date=day, top_n=10, shared_kernel=shared), timings=t)
    return time.perf_counter() - t0, t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=2, help="repeats of each report-step variant (median)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-weekly-", dir=os.environ.get("TMPDIR")))
    try:
        print(f"# bench/weekly.py: demo with {args.clients} clients, {os.cpu_count()} CPUs")
        timings = WeeklyTimings()
        t0 = time.perf_counter()
        report = run_demo(args.clients, work / "demo", progress=False, timings=timings)
        total = time.perf_counter() - t0
        print(f"demo total: {total:6.1f} s   (target < 120 s: {'ok' if total < 120 else 'MISSED'})")
        for step, seconds in timings.summary().items():
            print(f"  {step:<36} {seconds:6.2f} s")
        day = report.parent.name
        inventory = work / "demo" / "inventory"

        cli = cli_baseline(inventory, day, work / "cli")
        cli_total = sum(cli.values())
        runs = {"separate kernels (API)": [], "one shared kernel (ours)": []}
        for i in range(args.repeat):
            runs["separate kernels (API)"].append(report_step(inventory, day, work / f"sep{i}", False)[0])
            runs["one shared kernel (ours)"].append(report_step(inventory, day, work / f"shared{i}", True)[0])
        ours = statistics.median(runs["one shared kernel (ours)"])
        print("\n# report step: 4 notebooks + HTML export (+ backlog for the API variants)")
        for step, seconds in cli.items():
            print(f"  {step:<44} {seconds:6.2f} s")
        print(f"baseline A  papermill CLI x4 + nbconvert CLI       {cli_total:6.2f} s")
        sep = statistics.median(runs["separate kernels (API)"])
        print(f"baseline B  papermill API, a kernel per notebook   {sep:6.2f} s")
        print(f"ours        papermill API, one shared kernel       {ours:6.2f} s")
        print(f"speed-up vs A: {cli_total / ours:4.1f}x   vs B: {sep / ours:4.1f}x")
        print(f"notebook share of the demo: {timings.steps.get('report', 0) / total:.0%}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
