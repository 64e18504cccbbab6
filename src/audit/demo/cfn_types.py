"""CloudFormation in the fleet for the onboarding kit's resource types, as AWS CloudFormation does it.

moto's stack engine skips `AWS::CloudWatch::Alarm` and `AWS::IAM::OIDCProvider` (it warns and creates
nothing), ignores a role's `ManagedPolicyArns`, and ignores a bucket's `VersioningConfiguration` and
`PublicAccessBlockConfiguration`. Real CloudFormation creates and sets all of them (resource
reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html,
aws-resource-iam-oidcprovider.html, aws-resource-iam-role.html#cfn-iam-role-managedpolicyarns,
aws-resource-s3-bucket.html). `install()` teaches moto's engine those, so `baseline.yaml` deployed into
a fleet account (tests/onboarding, `cicd-audit fleet serve`) leaves what AWS would leave. Only stacks
created after `install()` are affected; nothing else in moto changes.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.cloudformation import parsing
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.iam.models import Role, iam_backends
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

from audit.demo import backend_fixes

_lock = threading.Lock()
_installed = False


class _Made:
    """What a stack keeps for a resource it created: its physical id (Ref returns it)."""

    def __init__(self, physical_id: str) -> None:
        self.physical_resource_id = physical_id

    def is_created(self) -> bool:  # moto's engine asks whether a resource is ready
        return True


class StackAlarm(CloudFormationModel):
    """AWS::CloudWatch::Alarm through PutMetricAlarm (Ref: the alarm name)."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],  # type: ignore[override]
                                        account_id: str, region_name: str, **kwargs: Any) -> _Made:
        p = cloudformation_json.get("Properties", {})
        name = p.get("AlarmName") or resource_name
        cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name, namespace=p.get("Namespace"), metric_name=p.get("MetricName"),
            comparison_operator=p.get("ComparisonOperator"), evaluation_periods=int(p.get("EvaluationPeriods", 1)),
            period=int(p.get("Period", 60)), threshold=float(p.get("Threshold", 0)), statistic=p.get("Statistic"),
            description=p.get("AlarmDescription", ""), dimensions=[{"name": d["Name"], "value": d["Value"]}
                                                                   for d in p.get("Dimensions", [])],
            alarm_actions=list(p.get("AlarmActions", []) or []), extended_statistic=p.get("ExtendedStatistic"),
            actions_enabled=str(p.get("ActionsEnabled", True)).lower() != "false",
            treat_missing_data=p.get("TreatMissingData"))
        return _Made(name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,  # type: ignore[override]
                                        cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> _Made:
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],  # type: ignore[override]
                                        account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])


class StackOidcProvider(CloudFormationModel):
    """AWS::IAM::OIDCProvider through CreateOpenIDConnectProvider (Ref: the provider's ARN)."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IAM::OIDCProvider"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],  # type: ignore[override]
                                        account_id: str, region_name: str, **kwargs: Any) -> _Made:
        p = cloudformation_json.get("Properties", {})
        provider = iam_backends[account_id][get_partition(region_name)].create_open_id_connect_provider(
            url=p["Url"], thumbprint_list=list(p.get("ThumbprintList", []) or []),
            client_id_list=list(p.get("ClientIdList", []) or []), tags=list(p.get("Tags", []) or []))
        return _Made(provider.arn)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,  # type: ignore[override]
                                        cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> Any:
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],  # type: ignore[override]
                                        account_id: str, region_name: str) -> None:
        iam_backends[account_id][get_partition(region_name)].delete_open_id_connect_provider(resource_name)


def _role_with_policies() -> None:
    original = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls: type[Role], resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
               region_name: str, **kwargs: Any) -> Role:
        role = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        backend = iam_backends[account_id][get_partition(region_name)]
        arns = list(cloudformation_json.get("Properties", {}).get("ManagedPolicyArns", []) or [])
        backend_fixes.aws_managed_policies(account_id, arns)  # AWS-managed policies exist in every account
        for arn in arns:
            backend.attach_role_policy(arn, role.name)
        return role

    Role.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign,assignment]


def _bucket_with_settings() -> None:
    original = FakeBucket.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls: type[FakeBucket], resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
               region_name: str, **kwargs: Any) -> FakeBucket:
        bucket = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        p = cloudformation_json.get("Properties", {})
        backend = s3_backends[account_id][get_partition(region_name)]
        status = (p.get("VersioningConfiguration") or {}).get("Status")
        if status:
            backend.put_bucket_versioning(bucket.name, status)
        block = p.get("PublicAccessBlockConfiguration")
        if block:
            backend.put_public_access_block(bucket.name, {k: str(v).lower() for k, v in block.items()})
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign,assignment]


def install() -> None:
    """Idempotent: register the two types with moto's engine and extend Role and Bucket creation."""
    global _installed
    with _lock:
        if _installed:
            return
        _role_with_policies()
        _bucket_with_settings()
        for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
            cached.cache_clear()  # the model list is read from CloudFormationModel's subclasses once
        _installed = True


__all__ = ["StackAlarm", "StackOidcProvider", "install"]
