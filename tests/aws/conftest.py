"""An in-process moto server for the AWS tests, and a fresh AWS account per test.

moto isolates resources by account id, and STS AssumeRole into `arn:aws:iam::<id>:role/...`
returns credentials that act inside that account: every test gets its own account, seeds it
through boto3, and reads it back through the crawler's own sessions and collectors.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from audit.aws.collectors import REGISTRY
from audit.aws.collectors.base import Ctx
from audit.aws.session import AwsContext, AwsSettings, Target

_ids = itertools.count(int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0) * 10_000 + 1)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto on 127.0.0.1 (dummy base credentials come from tests/conftest.py)."""
    for noisy in ("werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    assert os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_EC2_METADATA_DISABLED") == "true"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Account:
    """One fresh moto account: seed it with `boto`, read it with `collect`."""

    account_id: str
    url: str
    aws: AwsContext

    @property
    def target(self) -> Target:
        return Target(self.account_id, "test-client", f"arn:aws:iam::{self.account_id}:role/Audit", "ext-id")

    def boto(self, service: str, region: str = "eu-west-1") -> Any:
        """A plain boto3 client acting inside this account (for seeding; no guard)."""
        sts = boto3.client("sts", endpoint_url=self.url, region_name="us-east-1")
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{self.account_id}:role/Seeder",
                                RoleSessionName="seed")["Credentials"]
        return boto3.client(service, endpoint_url=self.url, region_name=region,
                            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])

    def ctx(self, collector: str, region: str = "eu-west-1", history_days: int = 30) -> Ctx:
        return Ctx(self.account_id, "test-client", region, collector,
                   lambda service, where=region: self.aws.client(self.target, where, service),
                   datetime.now(UTC) - timedelta(days=history_days))

    def collect(self, collector: str, region: str = "eu-west-1") -> tuple[dict[str, list[dict]], list[dict]]:
        ctx = self.ctx(collector, region)
        return REGISTRY[collector].collect(ctx), ctx.errors


@pytest.fixture(scope="session")
def aws_context(moto_url: str) -> AwsContext:
    return AwsContext(AwsSettings(endpoint_url=moto_url, max_attempts=2), day="2026-01-01")


@pytest.fixture
def account(moto_url: str, aws_context: AwsContext) -> Account:
    return Account(f"{next(_ids):012d}", moto_url, aws_context)


@pytest.fixture
def new_account(moto_url: str, aws_context: AwsContext):
    """A factory of further fresh accounts (for multi-account tests)."""
    return lambda: Account(f"{next(_ids):012d}", moto_url, aws_context)
