"""The audit role's policy is generated from the collectors and only ever grants reads."""

from __future__ import annotations

import json
from pathlib import Path

from audit.aws.collectors import REGISTRY
from audit.aws.policy import audit_role_policy

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-role-policy.json"


def test_policy_covers_every_declared_action_and_only_reads() -> None:
    policy = audit_role_policy()
    (statement,) = policy["Statement"]
    actions = set(statement["Action"])
    for collector in REGISTRY.values():
        assert set(collector.actions) <= actions, collector.name
    assert "ec2:DescribeRegions" in actions
    for action in actions:
        op = action.split(":", 1)[1]
        assert op.startswith(("List", "Describe", "Get", "BatchGet")) or op == "GET", action
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"


def test_documented_policy_is_current() -> None:
    assert json.loads(DOC.read_text()) == audit_role_policy(), "regenerate: python -m audit.aws.policy"
