"""Sessions: AssumeRole with ExternalId and a recognisable name, shared loader, cached clients."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from audit.aws.session import AwsContext, AwsSettings, Target
from audit.errors import ConfigError


def test_assumed_identity_uses_session_name_and_account(account) -> None:
    sts = account.aws.client(account.target, "eu-west-1", "sts")
    arn = sts.get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{account.account_id}:assumed-role/Audit/cicd-audit-2026-01-01"


def test_clients_are_cached_and_share_one_loader(account) -> None:
    a = account.aws.client(account.target, "eu-west-1", "codebuild")
    assert account.aws.client(account.target, "eu-west-1", "codebuild") is a
    b = account.aws.client(account.target, "us-east-1", "codebuild")
    assert b is not a
    assert a.meta.config.retries["mode"] == "adaptive"
    assert a.meta.endpoint_url == account.url
    # the per-account session shares the base loader: models are not re-read per account
    other = Target("999999999999", "other", "arn:aws:iam::999999999999:role/Audit")
    account.aws.client(other, "eu-west-1", "codebuild")
    sessions = account.aws._sessions
    assert sessions[account.account_id].get_component("data_loader") is account.aws.loader
    assert sessions["999999999999"].get_component("data_loader") is account.aws.loader
    start = time.perf_counter()
    account.aws.client(other, "eu-west-1", "ecs")
    account.aws.client(other, "eu-west-1", "lambda")
    account.aws.client(other, "eu-west-1", "ecs")
    assert time.perf_counter() - start < 1.0


def test_credentials_are_refreshable_and_cached(account) -> None:
    account.aws.assume(account.target)
    creds = account.aws._credentials[account.account_id]
    frozen = creds.get_frozen_credentials()
    assert frozen.token and frozen.access_key != "AKIAIOSFODNN7BASEKEY"
    assert creds.refresh_needed() is False  # fresh for ~1h, refreshed automatically before expiry
    before = account.aws.counter.total
    account.aws.assume(account.target)  # cached: no second AssumeRole
    assert account.aws.counter.total == before


def test_not_implemented_answers_are_not_retried(account) -> None:
    account.aws.assume(account.target)
    cp = account.aws.client(account.target, "eu-west-1", "codepipeline")
    before = account.aws.counter.total
    with pytest.raises(ClientError):
        cp.get_pipeline_state(name="nope")
    assert account.aws.counter.total - before == 1


def test_enabled_regions_respect_opt_in(account) -> None:
    regions = account.aws.enabled_regions(account.target)
    assert "eu-west-1" in regions and "us-east-1" in regions
    assert regions == sorted(regions)


def test_unknown_profile_is_a_config_error(moto_url) -> None:
    with pytest.raises(ConfigError, match="profile"):
        AwsContext(AwsSettings(profile="no-such-profile-xyz", endpoint_url=moto_url), day="2026-01-01")
