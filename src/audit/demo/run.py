"""`cicd-audit demo`: the weekly run on a synthetic fleet, with the two weeks before it recorded first.

The fleet runs on an in-process moto server with dummy base credentials (a real profile must never
reach it); the run itself is the production pipeline, unchanged.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import click

from audit import pipeline
from audit.demo.fleet import start_fleet
from audit.demo.lastweek import record_last_week
from audit.options import WeeklyOptions

_AWS_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
            "AWS_DEFAULT_REGION", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE")


@contextlib.contextmanager
def dummy_credentials(env: dict[str, str]) -> Iterator[None]:
    """Base credentials for moto only, restored afterwards (a real profile must never reach the fleet)."""
    saved = {k: os.environ.get(k) for k in _AWS_ENV}
    for k in _AWS_ENV:
        os.environ.pop(k, None)
    os.environ.update({k: v for k, v in env.items() if k != "AWS_ENDPOINT_URL"})
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_demo(clients: int = 24, out: str | Path = "demo-output", *, seed: int = 42, top_n: int = 10,
             export_all: bool = False, progress: bool = True,
             timings: pipeline.WeeklyTimings | None = None) -> Path:
    """Start the synthetic fleet into OUT/inventory, record last week's snapshot and this week's changes
    (audit.demo.lastweek), run the weekly pipeline into OUT/reports, stop the fleet."""
    timings = timings or pipeline.WeeklyTimings()
    out = Path(out).resolve()
    inventory = out / "inventory"
    base_env = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo", "AWS_DEFAULT_REGION": "us-east-1"}
    with dummy_credentials(base_env):
        with timings.step("fleet"):
            fleet = start_fleet(clients, seed=seed, out=inventory)
        try:
            with dummy_credentials(fleet.env):
                with timings.step("validate"):
                    inputs = pipeline.Inputs.load(fleet.out)
                day = pipeline.today()
                with timings.step("last week"):
                    record_last_week(fleet, inputs, inventory, day, progress=progress)
                    inputs = pipeline.Inputs.load(fleet.out)  # with the meetings' decisions
                options = WeeklyOptions.for_day(day, config_dir=inputs.config_dir, endpoint_url=fleet.endpoint_url,
                                                top_n=top_n, export_all=export_all, progress=progress)
                report = pipeline.weekly(inputs, inventory, out / "reports", options, timings)
        finally:
            fleet.stop()
    return report


def demo_command(clients: int = 24, out: Path = Path("demo-output"), seed: int = 42, top_n: int = 10,
                 export_all: bool = False) -> Path:
    """`cicd-audit demo`: the absolute path of report.html is the last line on stdout."""
    report = run_demo(clients, out, seed=seed, top_n=top_n, export_all=export_all)
    click.echo(str(report.resolve()))
    return report
