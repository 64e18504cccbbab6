"""Declarative collectors: resources fully described by a `ResourceSpec` (no custom code).

EKS clusters, API Gateway REST and HTTP APIs, Auto Scaling groups and launch templates,
CloudWatch metric alarms. `used_for_rollback` on alarms is filled by the crawler from the
CodeDeploy groups of the same account and region.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import ResourceSpec, key_arn, region_arn, spec_collector


def _asg_template(raw: Mapping[str, Any]) -> str | None:
    spec = raw.get("LaunchTemplate") or ((raw.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}).get(
        "LaunchTemplateSpecification") or {}
    return spec.get("LaunchTemplateName") or spec.get("LaunchTemplateId") or raw.get("LaunchConfigurationName")


EKS = ResourceSpec(
    table="eks_clusters", service="eks", list_op="list_clusters", result_key="clusters", name_key="name",
    detail_op="describe_cluster", detail_param="name", detail_key="cluster", arn=key_arn("arn"),
    tags=lambda raw: raw.get("tags"), columns=lambda raw: {"version": raw.get("version"), "status": raw.get("status")},
)

REST_APIS = ResourceSpec(
    table="apigateway_apis", service="apigateway", list_op="get_rest_apis", result_key="items", name_key="name",
    arn=region_arn("apigateway", "/restapis/{id}", account=False), tags=lambda raw: raw.get("tags"),
    columns=lambda raw: {"api_type": "REST", "created": raw.get("createdDate"),
                         "endpoint_type": ((raw.get("endpointConfiguration") or {}).get("types") or [None])[0]},
)

HTTP_APIS = ResourceSpec(
    table="apigateway_apis", service="apigatewayv2", list_op="get_apis", result_key="Items", name_key="Name",
    arn=region_arn("apigateway", "/apis/{ApiId}", account=False), tags=lambda raw: raw.get("Tags"),
    columns=lambda raw: {"api_type": raw.get("ProtocolType"), "created": raw.get("CreatedDate"),
                         "endpoint_type": "REGIONAL"},
)

ASGS = ResourceSpec(
    table="autoscaling_groups", service="autoscaling", list_op="describe_auto_scaling_groups",
    result_key="AutoScalingGroups", name_key="AutoScalingGroupName", arn=key_arn("AutoScalingGroupARN"),
    tags=lambda raw: raw.get("Tags"),
    columns=lambda raw: {"launch_template": _asg_template(raw), "min_size": raw.get("MinSize"),
                         "max_size": raw.get("MaxSize"), "desired_capacity": raw.get("DesiredCapacity"),
                         "target_group_count": len(raw.get("TargetGroupARNs") or [])},
)

LAUNCH_TEMPLATES = ResourceSpec(
    table="launch_templates", service="ec2", list_op="describe_launch_templates", result_key="LaunchTemplates",
    name_key="LaunchTemplateName", arn=region_arn("ec2", "launch-template/{LaunchTemplateId}"),
    tags=lambda raw: raw.get("Tags"),
    columns=lambda raw: {"latest_version": raw.get("LatestVersionNumber"),
                         "default_version": raw.get("DefaultVersionNumber"), "created": raw.get("CreateTime")},
)

ALARMS = ResourceSpec(
    table="cloudwatch_alarms", service="cloudwatch", list_op="describe_alarms", result_key="MetricAlarms",
    name_key="AlarmName", arn=key_arn("AlarmArn"), tags_op="list_tags_for_resource", tags_param="ResourceARN",
    tags_key="Tags", bulk_tags="cloudwatch",
    columns=lambda raw: {"namespace": raw.get("Namespace"), "metric_name": raw.get("MetricName"),
                         "state": raw.get("StateValue"), "actions_enabled": raw.get("ActionsEnabled"),
                         "used_for_rollback": False,
                         # metric-math alarms (Metrics[]) have no statistic or period of their own
                         "statistic": raw.get("Statistic") or raw.get("ExtendedStatistic"),
                         "comparison_operator": raw.get("ComparisonOperator"), "threshold": raw.get("Threshold"),
                         "period": raw.get("Period"), "evaluation_periods": raw.get("EvaluationPeriods"),
                         "treat_missing_data": raw.get("TreatMissingData")},
)

EKS_COLLECTOR = spec_collector("eks", EKS)
APIGATEWAY_COLLECTOR = spec_collector("apigateway", REST_APIS, HTTP_APIS)
AUTOSCALING_COLLECTOR = spec_collector("autoscaling", ASGS, LAUNCH_TEMPLATES)
CLOUDWATCH_COLLECTOR = spec_collector("cloudwatch", ALARMS)
