"""What every fleet benchmark shares: dummy base credentials and quiet logs before the fleet starts,
and the hidden arguments with which it runs each measured crawl in a child process."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence


def add_child_arguments(parser: argparse.ArgumentParser, children: Sequence[str] | None = None, *,
                        accounts_only: bool = True) -> None:
    """`--child` (which crawl this process is; a flag when there is only one kind) and where it finds
    the fleet and writes its snapshot; none of them is for users."""
    if children:
        parser.add_argument("--child", choices=list(children), help=argparse.SUPPRESS)
    else:
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    for name in ("--accounts", "--endpoint", "--out", *(("--accounts-only",) if accounts_only else ())):
        parser.add_argument(name, help=argparse.SUPPRESS)


def quiet_bench_env() -> None:
    """Base credentials for moto only (a real profile must never reach the fleet) and no request logs."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench-base-key")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench-base-secret")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    for noisy in ("werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
