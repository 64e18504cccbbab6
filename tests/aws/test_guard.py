"""The read-only guard allows exactly the operations the collectors declare, refused before sending."""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.model import ServiceModel
from botocore.utils import S3RegionRedirectorv2
from tests.aws.test_tagging import TAG_CALLS

from audit.aws.collectors import REGISTRY
from audit.aws.guard import (
    ACCOUNT_OPERATIONS,
    BASE_OPERATIONS,
    allowed_operations,
    is_allowed,
    recording_calls,
    refuse_undeclared,
)
from audit.errors import ReadOnlyViolation

# Reads that return secret material, presigned URLs or raw data (REAL_AWS_NOTES.md): the old prefix
# rule (List/Describe/Get/...) allowed every one of them.
SECRET_READS = [
    ("lambda", "GetFunctionConfiguration"), ("apigateway", "GetApiKeys"), ("apigateway", "GetApiKey"),
    ("glue", "GetConnection"), ("s3", "GetObject"), ("logs", "GetLogEvents"), ("ecr", "GetDownloadUrlForLayer"),
    ("lambda", "GetLayerVersion"), ("lambda", "GetFunction"), ("athena", "GetQueryResults"),
    ("kinesis", "GetRecords"), ("codecommit", "GetFile"), ("codecommit", "GetBlob"),
    ("lightsail", "GetRelationalDatabaseMasterUserPassword"), ("wafv2", "GetDecryptedAPIKey"),
    ("secretsmanager", "GetSecretValue"), ("ssm", "GetParameter"), ("sts", "GetSessionToken"),
    ("ecr", "GetAuthorizationToken"), ("sso", "GetRoleCredentials"),
]


def test_every_botocore_operation_is_refused_unless_declared() -> None:
    """All 20,027 operations of the installed botocore models (boto3 1.44) through the guard's own
    handler: the allowed ones are exactly the declared ones. The prefix rule this replaced allowed
    8,513 of them; the declared set is about 60."""
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    allowed, total = set(), 0
    for service in loader.list_available_services("service-2"):
        model = ServiceModel(loader.load_service_model(service, "service-2"), service_name=service)
        for name in model.operation_names:
            total += 1
            try:
                refuse_undeclared(model.operation_model(name))
            except ReadOnlyViolation as exc:
                assert (exc.service, exc.operation) == (service, name)
                assert f"{service}:{name}" in str(exc)
            else:
                allowed.add((service, name))
    declared = {op for c in REGISTRY.values() for op in c.operations} | set(BASE_OPERATIONS) | set(ACCOUNT_OPERATIONS)
    assert allowed == declared == allowed_operations()
    assert total > 15_000 and len(allowed) < 100
    assert not allowed & set(SECRET_READS)
    print(f"guard: {len(allowed)} of {total} botocore operations allowed")


def test_every_collector_declares_its_operations() -> None:
    for collector in REGISTRY.values():
        assert collector.operations, collector.name
        for service, name in collector.operations:
            assert name[0].isupper() and "_" not in name, (collector.name, service, name)


@pytest.mark.parametrize(("service", "call", "kwargs"), [
    ("lambda", "get_function_configuration", {"FunctionName": "app"}),
    ("apigateway", "get_api_keys", {"includeValues": True}),
    ("glue", "get_connection", {"Name": "db"}),
    ("s3", "get_object", {"Bucket": "data", "Key": "secret.txt"}),
    ("logs", "get_log_events", {"logGroupName": "/app", "logStreamName": "s"}),
    ("ecr", "get_download_url_for_layer", {"repositoryName": "app", "layerDigest": "sha256:" + "0" * 64}),
])
def test_secret_reads_are_refused_with_no_request_sent(account, service, call, kwargs) -> None:
    """Live against moto through the crawler's own clients: nothing reaches the endpoint."""
    client = account.aws.client(account.target, "eu-west-1", service)
    before = account.aws.counter.total  # before-send: every HTTP request, retries included
    with pytest.raises(ReadOnlyViolation, match=f"{service}:"):
        getattr(client, call)(**kwargs)
    assert account.aws.counter.total == before


def test_mutating_call_is_refused_and_never_reaches_aws(account) -> None:
    s3 = account.aws.client(account.target, "global", "s3")
    sent_before = account.aws.counter.total
    with pytest.raises(ReadOnlyViolation, match="s3:CreateBucket"):
        s3.create_bucket(Bucket="must-not-exist")
    assert account.aws.counter.total == sent_before  # nothing went over the wire
    names = [b["Name"] for b in account.boto("s3", "us-east-1").list_buckets()["Buckets"]]
    assert "must-not-exist" not in names
    # and reads still work through the same client
    assert "Buckets" in s3.list_buckets()


def test_guard_is_on_every_client(account) -> None:
    for service, call, kwargs in (("iam", "create_role", {"RoleName": "x", "AssumeRolePolicyDocument": "{}"}),
                                  ("codebuild", "start_build", {"projectName": "p"}),
                                  ("ecs", "delete_cluster", {"cluster": "c"})):
        client = account.aws.client(account.target, "eu-west-1", service)
        with pytest.raises(ReadOnlyViolation):
            getattr(client, call)(**kwargs)


def test_s3_region_redirect_head_bucket_passes_the_guard(account) -> None:
    """Real S3 answers a wrong-region call with a redirect; when it names no region, botocore's
    redirector sends HeadBucket on the same (guarded) client (botocore.utils.S3RegionRedirectorv2.
    get_bucket_region). moto never redirects, so drive botocore's redirector directly: refusing
    HeadBucket would break the S3 collector on real accounts with buckets in several regions."""
    account.boto("s3", "eu-west-1").create_bucket(
        Bucket=f"eu-{account.account_id}", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3 = account.aws.client(account.target, "global", "s3")
    redirector = S3RegionRedirectorv2(None, s3)
    no_region = (None, {"ResponseMetadata": {"HTTPHeaders": {}}, "Error": {"Code": "PermanentRedirect"}})
    account.aws.assume(account.target)
    with account.aws.acting_as(account.target), recording_calls() as called:
        assert redirector.get_bucket_region(f"eu-{account.account_id}", no_region) == "eu-west-1"
    assert called == {("s3", "HeadBucket")} and is_allowed("s3", "HeadBucket")  # sent through the guard


def test_declared_operations_are_the_ones_a_fleet_crawl_calls(fleet_snapshot) -> None:
    """Issue 9: each collector's declared operations == what it really called in a fleet crawl
    (recorded by the guard's before-call hook), except operations the fleet cannot reach."""
    unreachable = {  # declared, but a moto fleet never makes them call
        # HeadBucket: only botocore's region redirector sends it (test above, tests/aws/collectors/test_s3.py);
        # GetBucketLocation: only where ListBuckets gives no BucketRegion (the fleet's S3 answers as AWS's)
        "s3": {"s3:HeadBucket", "s3:GetBucketLocation"},
        # per-item fallbacks for an endpoint without the batch call (the fleet answers every batch call)
        "codedeploy": {"codedeploy:GetApplication", "codedeploy:GetDeployment", "codedeploy:GetDeploymentGroup"},
    }
    for service, op in TAG_CALLS:  # the tag index's per-resource fallback (tests/aws/test_tagging.py)
        name = next(n for n, c in REGISTRY.items() if (service, op) in c.operations)
        unreachable.setdefault(name, set()).add(f"{service}:{op}")
    manifest = json.loads((fleet_snapshot.snapshot_dir / "manifest.json").read_text())
    called = manifest["sections"]["crawl"]["operations"]
    for name, collector in REGISTRY.items():
        declared = {f"{s}:{o}" for s, o in collector.operations}
        assert set(called[name]) == declared - unreachable.get(name, set()), name
