"""The IAM policy of the read-only audit role, generated from what the collectors declare.

Every action a collector may call is listed in its registry entry, so the role grants exactly
what the crawl uses (plus ec2:DescribeRegions for `regions: all`) and nothing that writes.
`python -m audit.aws.policy > docs/audit-role-policy.json` regenerates the documented copy.
"""

from __future__ import annotations

import json
from typing import Any

from audit.aws.collectors import REGISTRY
from audit.aws.guard import is_read_only

EXTRA_ACTIONS = ("ec2:DescribeRegions",)
# IAM names that differ from the botocore operation they authorise (still reads)
IAM_ONLY_READS = {"s3:ListAllMyBuckets", "apigateway:GET"}


def audit_role_policy() -> dict[str, Any]:
    """An IAM policy document (dict) granting every action the registered collectors declare."""
    actions = sorted({a for c in REGISTRY.values() for a in c.actions} | set(EXTRA_ACTIONS))
    for action in actions:
        prefix, op = action.split(":", 1)
        if not (is_read_only(prefix, op) or action in IAM_ONLY_READS):
            raise ValueError(f"collector declares a non-read action: {action}")
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "CicdAuditReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


def main() -> None:
    print(json.dumps(audit_role_policy(), indent=2))


if __name__ == "__main__":
    main()
