"""The read-only guard refuses every non-read operation before anything is sent."""

from __future__ import annotations

import pytest

from audit.aws.guard import ReadOnlyViolation, is_read_only


def test_allow_list_by_prefix_and_exceptions() -> None:
    for op in ("ListPipelines", "DescribeStacks", "GetTemplate", "BatchGetProjects", "SearchResources",
               "LookupEvents"):
        assert is_read_only("codebuild", op)
    assert is_read_only("sts", "AssumeRole") and is_read_only("sts", "GetCallerIdentity")
    for service, op in (("s3", "CreateBucket"), ("iam", "DeleteRole"), ("codebuild", "StartBuild"),
                        ("lambda", "InvokeFunction"), ("codepipeline", "StartPipelineExecution"),
                        ("s3", "PutObject"), ("iam", "AssumeRole"), ("sts", "GetSessionToken"),
                        ("secretsmanager", "GetSecretValue"), ("ssm", "GetParameter"),
                        ("ssm", "GetParameterHistory"), ("sso", "GetRoleCredentials"),
                        ("redshift", "GetClusterCredentials"), ("cognito-identity", "GetCredentialsForIdentity"),
                        ("lightsail", "GetInstanceAccessDetails"), ("ecr-public", "GetAuthorizationToken")):
        assert not is_read_only(service, op), (service, op)


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
