"""Sessions: AssumeRole with ExternalId and a recognisable name, shared loader, cached clients."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from audit.aws.session import AwsContext, AwsSettings, Target
from audit.errors import ConfigError


def test_assumed_identity_uses_session_name_and_account(account) -> None:
    sts = account.aws.client(account.target, "eu-west-1", "sts")
    arn = sts.get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{account.account_id}:assumed-role/Audit/cicd-audit-2026-01-01"


def _retry_state(aws: AwsContext, client, account_id: str) -> tuple[object, object]:
    """botocore's retry quota (standard) and rate limiter (adaptive) that `client` uses for the
    account: the handlers botocore's own registration made for it (botocore.retries.standard/adaptive)."""
    retries = next(r for r in aws._retries if r._client is client)
    owners = [getattr(h, "__self__", None) for h in retries.handlers(account_id)]
    quota = next(o._retry_quota for o in owners if hasattr(o, "_retry_quota"))
    limiter = next(o for o in owners if type(o).__name__ == "ClientRateLimiter")
    return quota, limiter


def test_one_client_serves_every_account_with_its_own_retry_quota(account, new_account) -> None:
    """One throttled account must not drain or slow another's retries: botocore keeps the retry
    quota and the adaptive rate limiter inside a client, so the client every account shares holds,
    for each account, its own set of botocore's retry handlers."""
    other = new_account()
    a = account.aws.client(account.target, "eu-west-1", "codebuild")
    assert account.aws.client(other.target, "eu-west-1", "codebuild") is a  # one client per region and service
    assert account.aws.client(account.target, "us-east-1", "codebuild") is not a
    (quota_a, limiter_a), (quota_b, limiter_b) = (_retry_state(account.aws, a, x.account_id) for x in (account, other))
    assert quota_a is not quota_b and limiter_a is not limiter_b
    assert _retry_state(account.aws, a, account.account_id)[0] is quota_a  # kept per account
    assert a.meta.config.retries["mode"] == "adaptive" and a.meta.endpoint_url == account.url
    assert account.aws.accounts.get_component("data_loader") is account.aws.loader  # models read once
    start = time.perf_counter()
    for _ in range(100):
        account.aws.client(other.target, "eu-west-1", "ecs")
    assert time.perf_counter() - start < 1.0


def test_a_throttled_account_slows_only_itself(moto_url) -> None:
    """An account whose every request is throttled (the fleet's `throttle-account` fault, answered
    as the service answers) uses up its own retry quota and turns on its own rate limiter; another
    account's calls through the same client still succeed at once, with a full quota."""
    from audit.demo.inject import FaultSpec
    from audit.demo.server import FleetServer

    server = FleetServer().start()
    try:
        aws = AwsContext(AwsSettings(endpoint_url=server.url, max_attempts=3), day="2026-01-01")
        hot, calm = (Target(f"{n:012d}", "c", f"arn:aws:iam::{n:012d}:role/Audit") for n in (555500000001, 555500000002))
        server.set_inject(FaultSpec(throttle_accounts=frozenset({hot.account_id})))
        with aws.acting_as(hot):
            aws.assume(hot)
        with aws.acting_as(calm):
            aws.assume(calm)
        client = aws.client(calm, "eu-west-1", "codebuild")
        with aws.acting_as(hot), pytest.raises(ClientError, match="Throttl"):
            aws.client(hot, "eu-west-1", "codebuild").list_projects()
        with aws.acting_as(calm):
            assert aws.client(calm, "eu-west-1", "codebuild").list_projects()["projects"] == []
        # the hot account's first try and its 3 retries (botocore's max_attempts counts retries), none of the calm one's
        assert server.inject_stats.throttled == 4
        (hot_quota, hot_limiter), (calm_quota, calm_limiter) = (_retry_state(aws, client, t.account_id)
                                                                for t in (hot, calm))
        assert hot_limiter._enabled and not calm_limiter._enabled
        assert hot_quota._quota.available_capacity < calm_quota._quota.available_capacity
    finally:
        server.stop()


def test_clients_share_model_and_class(account, new_account) -> None:
    """Per service, our clients share botocore's ServiceModel and generated class (built once per
    process, not per client). Other botocore sessions (boto3's, moto's) keep botocore's own
    behaviour: a class per client, and retry state per client."""
    import botocore.session

    other = new_account()
    a = account.aws.client(account.target, "eu-west-1", "lambda")
    c = account.aws.client(other.target, "us-east-1", "lambda")
    assert a is not c and a.meta.service_model is c.meta.service_model and type(a) is type(c)
    assert a.meta.events is not c.meta.events
    assert a.meta.region_name == "eu-west-1" and c.meta.region_name == "us-east-1"
    assert account.aws.client(account.target, "eu-west-1", "ecr").meta.service_model.service_name == "ecr"
    plain = botocore.session.Session()
    x, y = (plain.create_client("lambda", region_name="eu-west-1") for _ in range(2))
    assert type(x) is not type(y) and x.meta.service_model is not a.meta.service_model
    assert not any(r._client in (x, y) for r in account.aws._retries)
    with account.aws.acting_as(other.target):
        assert c.list_functions()["Functions"] == []  # the shared class and model still make calls


def test_a_finished_account_drops_its_retry_state(account, new_account) -> None:
    aws = AwsContext(AwsSettings(endpoint_url=account.url, max_pool_connections=1), day="2026-01-01")
    accounts = [account] + [new_account() for _ in range(5)]
    for acct in accounts:
        with aws.acting_as(acct.target):
            aws.client(acct.target, "eu-west-1", "ecr").describe_repositories()
    (retries,) = aws._retries
    # at most 2 x max(2, workers) accounts keep retry state, even if forget() runs in another process
    assert set(retries._sets) == {a.account_id for a in accounts[-4:]}
    aws.forget(accounts[-1].account_id)
    assert accounts[-1].account_id not in retries._sets and accounts[-1].account_id not in aws._credentials


def test_each_thread_acts_for_its_own_account(account, new_account) -> None:
    """Many threads share one client; each call is signed for the account its thread is bound to."""
    other = new_account()
    account.boto("ecr").create_repository(repositoryName="only-in-a")
    other.boto("ecr").create_repository(repositoryName="only-in-b")
    aws = account.aws

    def names(acct) -> list[str]:
        with aws.acting_as(acct.target):
            ecr = aws.client(acct.target, "eu-west-1", "ecr")
            return [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(names, [account, other] * 20))
    assert results == [["only-in-a"], ["only-in-b"]] * 20


def test_unbound_thread_gets_no_credentials(account) -> None:
    client = account.aws.client(account.target, "eu-west-1", "ecr")

    def unbound() -> None:
        client.describe_repositories()

    with ThreadPoolExecutor(1) as pool, pytest.raises(NoCredentialsError):
        pool.submit(unbound).result()


def test_credentials_are_refreshable_and_cached(account) -> None:
    account.aws.assume(account.target)
    creds = account.aws._credentials[account.account_id]
    frozen = creds.get_frozen_credentials()
    assert frozen.token and frozen.access_key != os.environ["AWS_ACCESS_KEY_ID"]
    assert creds.refresh_needed() is False  # fresh for ~1h, refreshed automatically before expiry
    before = account.aws.counter.total
    account.aws.assume(account.target)  # cached: no second AssumeRole
    assert account.aws.counter.total == before


def test_not_implemented_answers_are_not_retried(account) -> None:
    account.aws.assume(account.target)
    cd = account.aws.client(account.target, "eu-west-1", "codedeploy")
    before = account.aws.counter.total
    with pytest.raises(ClientError):  # moto lacks BatchGetDeploymentGroups (HTTP 500, HTML)
        cd.batch_get_deployment_groups(applicationName="nope", deploymentGroupNames=["nope"])
    assert account.aws.counter.total - before == 1


def test_enabled_regions_respect_opt_in(account) -> None:
    regions = account.aws.enabled_regions(account.target)
    assert "eu-west-1" in regions and "us-east-1" in regions
    assert regions == sorted(regions)


def test_unknown_profile_is_a_config_error(moto_url) -> None:
    with pytest.raises(ConfigError, match="profile"):
        AwsContext(AwsSettings(profile="no-such-profile-xyz", endpoint_url=moto_url), day="2026-01-01")


def test_credentials_refresh_before_expiry(account) -> None:
    """A crawl outliving the role session: near expiry, the next call assumes the role again."""
    from datetime import UTC, datetime, timedelta

    account.aws.assume(account.target)
    creds = account.aws._credentials[account.account_id]
    first = creds.get_frozen_credentials()
    soon = datetime.now(UTC) + timedelta(minutes=5)  # inside botocore's mandatory refresh window
    creds._expiry_time = soon
    fetcher = creds._refresh_using.__self__  # botocore's AssumeRoleCredentialFetcher and its cache
    for cached in fetcher._cache.values():
        cached["Credentials"]["Expiration"] = soon.isoformat()
    before = account.aws.counter.total
    ecr = account.aws.client(account.target, "eu-west-1", "ecr")
    ecr.describe_repositories()
    assert account.aws.counter.total - before == 2  # AssumeRole again, then the call itself
    assert creds.get_frozen_credentials().token != first.token


def test_timestamps_parse_fast_to_botocores_values(account, monkeypatch: pytest.MonkeyPatch) -> None:
    """The crawl's clients parse timestamps with `parse_timestamp` (ISO 8601 in UTC without dateutil,
    epoch numbers without a local time zone) and get botocore's instants for every format AWS uses:
    ISO 8601 (query, rest-xml), epoch numbers (json), RFC 822 (headers), other offsets."""
    import botocore.utils
    import dateutil.parser

    from audit.aws.session import parse_timestamp

    for value in ("2026-12-02T15:22:00Z", "2026-12-02T15:22:00.123Z", "2026-12-02T15:22:00.123456+00:00",
                  "2026-12-02T15:22:00+02:00", 1764688920.5, 1764688920, "1764688920", "Wed, 02 Dec 2026 15:22:00 GMT"):
        assert parse_timestamp(value) == botocore.utils.parse_timestamp(value), value
    with pytest.raises(ValueError):
        parse_timestamp("not a time")
    account.boto("iam", "us-east-1").create_role(RoleName="parsed", AssumeRolePolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": '
        '"lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'))
    account.aws.assume(account.target)

    def no_dateutil(*_: object, **__: object) -> None:
        raise AssertionError("dateutil parsed an ISO 8601 time")

    monkeypatch.setattr(dateutil.parser, "parse", no_dateutil)  # the query protocol's ISO times skip it
    with account.aws.acting_as(account.target):
        iam = account.aws.client(account.target, "us-east-1", "iam")
        roles = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    created = next(r["CreateDate"] for r in roles if r["RoleName"] == "parsed")
    assert created.utcoffset().total_seconds() == 0 and abs(time.time() - created.timestamp()) < 3600


def test_models_are_read_once_per_process(account, moto_url, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The crawl's sessions read models through the loader of botodata's model session, which the
    collectors use from import on: each file is parsed once per process, whichever session asks.
    A profile or AWS_DATA_PATH naming another data path gets a loader of its own on that path."""
    from audit.aws.botodata import OnceLoader, model_session

    shared = model_session().get_component("data_loader")
    assert isinstance(shared, OnceLoader)
    assert account.aws.loader is shared and account.aws.base.get_component("data_loader") is shared
    assert account.aws.accounts.get_component("data_loader") is shared
    model = shared.load_service_model("ecr", "service-2")
    assert account.aws.client(account.target, "eu-west-1", "ecr").meta.service_model._service_description is model
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    own = AwsContext(AwsSettings(endpoint_url=moto_url), day="2026-01-01")
    assert own.loader is not shared and isinstance(own.loader, OnceLoader)
    assert str(tmp_path) in own.loader.search_paths


def test_concurrent_first_reads_are_made_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads starting their first clients at once: botocore's loader caches each listing and
    file but computes it in every thread that asks before the first one is done; ours once."""
    import threading

    from audit.aws.botodata import once_loader

    loader = once_loader()
    listings: list[int] = []
    real = loader._potential_locations

    def slow(*args: object, **kwargs: object) -> object:
        listings.append(1)
        time.sleep(0.05)  # the ~10 ms listing, long enough for every thread to arrive
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "_potential_locations", slow)
    barrier = threading.Barrier(8)

    def first_read(_: int) -> object:
        barrier.wait()
        return loader.list_available_services("paginators-1")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(first_read, range(8)))
    assert len(listings) == 1 and all(a is answers[0] for a in answers) and "codepipeline" in answers[0]


def test_model_files_read_as_botocore_reads_them() -> None:
    """Plain dicts instead of botocore's OrderedDicts: the same content in the same order, from the
    same files (gzipped models, plain JSON paginators and partitions)."""
    import json

    from botocore.loaders import JSONFileLoader

    from audit.aws.botodata import DictJSONFileLoader, once_loader

    ours, theirs = DictJSONFileLoader(), JSONFileLoader()
    data = once_loader().search_paths[-1]  # botocore's own data directory
    for name in ("s3/2006-03-01/service-2", "codepipeline/2015-07-09/paginators-1",
                 "ec2/2016-11-15/endpoint-rule-set-1", "partitions", "sdk-default-configuration"):
        mine, botocores = ours.load_file(f"{data}/{name}"), theirs.load_file(f"{data}/{name}")
        assert type(mine) is dict and mine == botocores, name
        assert json.dumps(mine) == json.dumps(botocores), name  # key order too
    assert ours.load_file(f"{data}/no-such-file") is None
