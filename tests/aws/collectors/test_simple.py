"""The declarative collectors (EKS, API Gateway, Auto Scaling, CloudWatch) through the generic engine."""

from __future__ import annotations

import json


def test_eks_clusters(account) -> None:
    account.boto("eks").create_cluster(name="k8s", roleArn=f"arn:aws:iam::{account.account_id}:role/eks",
                                       resourcesVpcConfig={"subnetIds": []}, version="1.29", tags={"team": "ops"})
    rows, errors = account.collect("eks")
    assert errors == []
    (c,) = rows["eks_clusters"]
    assert (c["name"], c["version"], json.loads(c["tags"])) == ("k8s", "1.29", {"team": "ops"})
    assert c["arn"].startswith("arn:aws:eks:eu-west-1:")


def test_rest_and_http_apis(account) -> None:
    account.boto("apigateway").create_rest_api(name="orders", endpointConfiguration={"types": ["REGIONAL"]},
                                               tags={"team": "data"})
    account.boto("apigatewayv2").create_api(Name="events", ProtocolType="HTTP", Tags={"team": "data"})
    rows, errors = account.collect("apigateway")
    assert errors == []
    apis = {a["name"]: a for a in rows["apigateway_apis"]}
    assert (apis["orders"]["api_type"], apis["orders"]["endpoint_type"]) == ("REST", "REGIONAL")
    assert apis["events"]["api_type"] == "HTTP" and "/apis/" in apis["events"]["arn"]
    assert json.loads(apis["orders"]["tags"]) == {"team": "data"}


def test_autoscaling_groups_and_launch_templates(account) -> None:
    ec2 = account.boto("ec2")
    lt = ec2.create_launch_template(LaunchTemplateName="java-lt", LaunchTemplateData={"ImageId": "ami-12345678"})
    account.boto("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName="java-asg", MinSize=1, MaxSize=3, DesiredCapacity=2,
        LaunchTemplate={"LaunchTemplateName": "java-lt"}, AvailabilityZones=["eu-west-1a"],
        Tags=[{"Key": "team", "Value": "java", "PropagateAtLaunch": True}])
    rows, errors = account.collect("autoscaling")
    assert errors == []
    (asg,) = rows["autoscaling_groups"]
    assert (asg["launch_template"], asg["desired_capacity"], asg["max_size"]) == ("java-lt", 2, 3)
    assert json.loads(asg["tags"]) == {"team": "java"}
    (template,) = rows["launch_templates"]
    assert template["arn"].endswith(lt["LaunchTemplate"]["LaunchTemplateId"]) and template["latest_version"] == 1


def test_cloudwatch_alarms_with_tags(account) -> None:
    account.boto("cloudwatch").put_metric_alarm(
        AlarmName="5xx-alarm", MetricName="5XXError", Namespace="AWS/ApplicationELB", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold", Tags=[{"Key": "team", "Value": "web"}])
    rows, errors = account.collect("cloudwatch")
    assert errors == []
    (alarm,) = rows["cloudwatch_alarms"]
    assert (alarm["name"], alarm["namespace"], alarm["used_for_rollback"]) == ("5xx-alarm", "AWS/ApplicationELB", False)
    assert json.loads(alarm["tags"]) == {"team": "web"}


def test_spec_failure_is_an_error_row_and_other_specs_still_run(account, monkeypatch) -> None:
    from audit.aws import guard
    from audit.aws.collectors import simple
    from audit.aws.collectors.base import ResourceSpec, key_arn

    account.boto("apigatewayv2").create_api(Name="still-here", ProtocolType="HTTP")
    # an operation the endpoint does not implement (moto: codebuild ListReportGroups), declared here
    allowed = guard.allowed_operations() | {("codebuild", "ListReportGroups")}
    monkeypatch.setattr(guard, "allowed_operations", lambda: allowed)
    broken = ResourceSpec(table="apigateway_apis", service="codebuild", list_op="list_report_groups",
                          result_key="reportGroups", name_key="name", arn=key_arn("arn"))
    collector = simple.spec_collector("apigateway", broken, simple.HTTP_APIS)
    ctx = account.ctx("apigateway")
    rows = collector.collect(ctx)
    assert [a["name"] for a in rows["apigateway_apis"]] == ["still-here"]
    assert [(e["operation"], e["error_class"]) for e in ctx.errors] == [("ListReportGroups", "not-implemented")]
    assert "<html" not in ctx.errors[0]["message"]


def test_alarm_conditions_come_with_describe_alarms(account) -> None:
    """Statistic (or ExtendedStatistic for percentiles), operator, threshold, period, evaluation periods
    and missing-data treatment are in DescribeAlarms' MetricAlarms: no extra call."""
    cw = account.boto("cloudwatch")
    cw.put_metric_alarm(AlarmName="errors", MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=300,
                        EvaluationPeriods=2, Threshold=1.5, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching")
    cw.put_metric_alarm(AlarmName="latency", MetricName="Duration", Namespace="AWS/Lambda", ExtendedStatistic="p99",
                        Period=60, EvaluationPeriods=5, Threshold=800, ComparisonOperator="GreaterThanThreshold")
    rows, errors = account.collect("cloudwatch")
    assert errors == []
    cols = ("statistic", "comparison_operator", "threshold", "period", "evaluation_periods", "treat_missing_data")
    got = {a["name"]: tuple(a[c] for c in cols) for a in rows["cloudwatch_alarms"]}
    assert got == {"errors": ("Sum", "GreaterThanOrEqualToThreshold", 1.5, 300, 2, "notBreaching"),
                   "latency": ("p99", "GreaterThanThreshold", 800.0, 60, 5, None)}
