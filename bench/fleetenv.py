"""What every fleet benchmark does before it starts the fleet: dummy base credentials and quiet logs."""

from __future__ import annotations

import logging
import os


def quiet_bench_env() -> None:
    """Base credentials for moto only (a real profile must never reach the fleet) and no request logs."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench-base-key")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench-base-secret")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    for noisy in ("werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
