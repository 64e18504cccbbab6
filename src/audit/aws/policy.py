"""The IAM policy of the read-only audit role, generated from the operations the collectors declare.

The guard (audit.aws.guard) allows exactly the declared botocore operations; this module names
the same set in IAM terms, so the role grants exactly what the crawl uses and nothing that writes.
An IAM action is `<service>:<Operation>` except where IAM names differ (IAM_ACTIONS, IAM_PREFIXES).
API Gateway authorises management reads by HTTP verb (`apigateway:GET`) on resource paths, so its
statement is limited to the paths the declared operations read (API_GATEWAY_PATHS): the role does
not grant GET /apikeys (GetApiKeys with includeValues returns key values).
`python -m audit.aws.policy > docs/audit-role-policy.json` regenerates the documented copy (the
commercial partition; `python -m audit.aws.policy aws-us-gov` or `aws-cn` for the other partitions).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from audit.aws.collectors.base import Operation
from audit.aws.guard import account_operations

# botocore service name -> IAM service prefix, where they differ
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonresourcegrouptaggingapi.html)
IAM_PREFIXES = {"apigatewayv2": "apigateway", "resourcegroupstaggingapi": "tag"}
# operations authorised by an IAM action of another name
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html)
IAM_ACTIONS: dict[Operation, str] = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
}
# API Gateway: the resource path each declared read GETs
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-create-and-manage-api.html)
API_GATEWAY_PATHS: dict[Operation, str] = {
    ("apigateway", "GetRestApis"): "/restapis",
    ("apigatewayv2", "GetApis"): "/apis",
}


def iam_action(op: Operation) -> str:
    """The IAM action that authorises one botocore (service, operation)."""
    service, name = op
    if IAM_PREFIXES.get(service, service) == "apigateway":
        return "apigateway:GET"
    return IAM_ACTIONS.get(op) or f"{IAM_PREFIXES.get(service, service)}:{name}"


def audit_role_policy(partition: str = "aws") -> dict[str, Any]:
    """An IAM policy document (dict) granting the IAM action of every declared operation."""
    ops = account_operations()
    gateway = sorted(op for op in ops if iam_action(op) == "apigateway:GET")
    unknown = [op for op in gateway if op not in API_GATEWAY_PATHS]
    if unknown:
        raise ValueError(f"API Gateway operation(s) without a resource path in API_GATEWAY_PATHS: {unknown}")
    statements: list[dict[str, Any]] = [{
        "Sid": "CicdAuditReadOnly", "Effect": "Allow",
        "Action": sorted({iam_action(op) for op in ops} - {"apigateway:GET"}), "Resource": "*",
    }]
    if gateway:
        statements.append({
            "Sid": "CicdAuditApiGatewayReads", "Effect": "Allow", "Action": ["apigateway:GET"],
            "Resource": sorted({f"arn:{partition}:apigateway:*::{API_GATEWAY_PATHS[op]}" for op in gateway}),
        })
    return {"Version": "2012-10-17", "Statement": statements}


def main() -> None:
    print(json.dumps(audit_role_policy(*sys.argv[1:2]), indent=2))


if __name__ == "__main__":
    main()
