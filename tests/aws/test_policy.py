"""The audit role's policy is generated from the declared operations and only ever grants reads."""

from __future__ import annotations

import json
from pathlib import Path

from audit.aws.collectors import REGISTRY
from audit.aws.guard import ACCOUNT_OPERATIONS, BASE_OPERATIONS
from audit.aws.policy import audit_role_policy, iam_action

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-role-policy.json"


def test_policy_grants_the_iam_action_of_every_declared_operation_and_only_reads() -> None:
    policy = audit_role_policy()
    everything, gateway = policy["Statement"]
    actions = set(everything["Action"])
    declared = {op for c in REGISTRY.values() for op in c.operations} | set(ACCOUNT_OPERATIONS)
    assert actions == {iam_action(op) for op in declared} - {"apigateway:GET"}
    assert {"ec2:DescribeRegions", "s3:ListAllMyBuckets", "s3:ListBucket"} <= actions
    assert not {iam_action(op) for op in BASE_OPERATIONS} & actions  # base credentials, not the audit role
    for action in actions:
        op = action.split(":", 1)[1]
        assert op.startswith(("List", "Describe", "Get", "BatchGet")), action
    assert everything["Effect"] == "Allow" and everything["Resource"] == "*"
    # API Gateway reads are authorised by verb and path: only the paths the collectors GET, so the
    # role cannot read /apikeys (GetApiKeys includeValues returns the keys)
    assert gateway["Action"] == ["apigateway:GET"]
    assert gateway["Resource"] == ["arn:aws:apigateway:*::/apis", "arn:aws:apigateway:*::/restapis"]


def test_iam_names_that_differ_from_the_operation() -> None:
    assert iam_action(("s3", "ListBuckets")) == "s3:ListAllMyBuckets"
    assert iam_action(("s3", "HeadBucket")) == "s3:ListBucket"
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
    assert iam_action(("s3", "GetBucketEncryption")) == "s3:GetEncryptionConfiguration"
    assert iam_action(("s3", "GetPublicAccessBlock")) == "s3:GetBucketPublicAccessBlock"
    assert iam_action(("s3", "GetBucketVersioning")) == "s3:GetBucketVersioning"
    assert iam_action(("apigatewayv2", "GetApis")) == "apigateway:GET"
    assert iam_action(("elasticbeanstalk", "DescribeEnvironments")) == "elasticbeanstalk:DescribeEnvironments"


def test_documented_policy_is_current() -> None:
    assert json.loads(DOC.read_text()) == audit_role_policy(), "regenerate: python -m audit.aws.policy"
