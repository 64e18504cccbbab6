"""Helpers for the fleet tests: sessions inside a fleet account, as the crawler gets them."""

from __future__ import annotations

from collections.abc import Callable

import boto3
import pytest

from audit.demo.model import AUDIT_ROLE


def assume(fleet, account_id: str, region: str = "us-east-1") -> boto3.Session:
    """AssumeRole into a fleet account's audit role through the fleet's STS (real HTTP)."""
    sts = boto3.client("sts", endpoint_url=fleet.endpoint_url, region_name=region)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{AUDIT_ROLE}",
                            RoleSessionName="test-fleet", ExternalId="consultancy-audit")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=region)


@pytest.fixture(scope="session")
def assume_in() -> Callable[..., boto3.Session]:
    return assume
