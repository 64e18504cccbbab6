from __future__ import annotations

import json


def test_applications_and_environments(account) -> None:
    eb = account.boto("elasticbeanstalk")
    app = eb.create_application(ApplicationName="java-shop")["Application"]
    eb.create_environment(ApplicationName="java-shop", EnvironmentName="java-shop-prod",
                          SolutionStackName="64bit Amazon Linux 2 v4.3.0 running Corretto 17",
                          Tags=[{"Key": "team", "Value": "java"}])
    rows, errors = account.collect("beanstalk")
    (a,) = rows["beanstalk_applications"]
    assert a["name"] == "java-shop" and a["arn"] == app["ApplicationArn"]
    (e,) = rows["beanstalk_environments"]
    assert e["application_name"] == "java-shop" and json.loads(e["tags"]) == {"team": "java"}
    # moto lacks DescribeConfigurationSettings: ONE not-implemented error row, option names unknown (null)
    assert [(x["operation"], x["error_class"]) for x in errors] == [("DescribeConfigurationSettings", "not-implemented")]
    assert e["option_names"] is None


def test_terminated_environments_are_not_live_and_a_failed_settings_call_costs_one_environment(account) -> None:
    """AWS lists terminated environments for about an hour unless IncludeDeleted=false, and
    DescribeConfigurationSettings fails for such an environment alone
    (https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_DescribeEnvironments.html); moto has
    neither, so fleet environments are marked (demo/moto_patches.py). One environment's failing call
    loses only its option names: the environment after it is still asked. Environment property
    values never reach a row."""
    from moto.elasticbeanstalk.models import eb_backends

    from audit.demo import moto_patches

    moto_patches.install()
    eb = account.boto("elasticbeanstalk")
    eb.create_application(ApplicationName="shop")
    for name in ("shop-old", "shop-broken", "shop-prod"):
        eb.create_environment(ApplicationName="shop", EnvironmentName=name, SolutionStackName="Corretto 17")
    envs = eb_backends[account.account_id]["eu-west-1"].applications["shop"].environments
    envs["shop-old"].fleet_terminated = True
    envs["shop-old"].fleet_option_settings = []
    # shop-broken has no settings stored: moto's own answer (not implemented) for it alone
    envs["shop-prod"].fleet_option_settings = [
        {"Namespace": "aws:elasticbeanstalk:application:environment", "OptionName": "DB_PASSWORD",
         "Value": "eb-secret-value"},
        {"Namespace": "aws:autoscaling:asg", "OptionName": "MinSize", "Value": "2"}]
    assert {e["EnvironmentName"] for e in eb.describe_environments()["Environments"]} == {
        "shop-old", "shop-broken", "shop-prod"}  # the default includes the terminated one
    rows, errors = account.collect("beanstalk")
    got = {e["name"]: e["option_names"] for e in rows["beanstalk_environments"]}
    assert got == {"shop-broken": None, "shop-prod": ["aws:elasticbeanstalk:application:environment:DB_PASSWORD",
                                                      "aws:autoscaling:asg:MinSize"]}
    assert [(x["operation"], x["error_class"]) for x in errors] == [("DescribeConfigurationSettings", "not-implemented")]
    assert "eb-secret-value" not in json.dumps(rows, default=str)
    assert [f["detail"] for f in rows["findings"]] == ["DB_PASSWORD"]


def test_a_region_without_applications_is_not_asked_for_environments(account) -> None:
    """No application, no live environment (an environment belongs to an application; AWS's
    DeleteApplication terminates or refuses running ones), so that region costs one call; a failed
    DescribeApplications still asks for environments, whose rows do not depend on it."""
    from audit.aws.guard import recording_calls

    with account.aws.acting_as(account.target), recording_calls() as called:
        rows, errors = account.collect("beanstalk", "us-east-1")
    assert errors == [] and rows["beanstalk_environments"] == []
    assert {op for op in called if op[0] == "elasticbeanstalk"} == {("elasticbeanstalk", "DescribeApplications")}
    account.boto("elasticbeanstalk", "us-east-1").create_application(ApplicationName="api")
    with account.aws.acting_as(account.target), recording_calls() as called:
        rows, _ = account.collect("beanstalk", "us-east-1")
    assert ("elasticbeanstalk", "DescribeEnvironments") in called and len(rows["beanstalk_applications"]) == 1


def test_a_failed_application_listing_still_lists_environments(account) -> None:
    """DescribeApplications denied (the fleet's `deny` fault, answered as AWS answers): its error row,
    and the environments are still listed. moto's state is process-wide, so the fleet server sees
    what was seeded through the test server."""
    from datetime import UTC, datetime, timedelta

    from audit.aws.collectors import REGISTRY
    from audit.aws.collectors.base import Ctx
    from audit.aws.session import AwsContext, AwsSettings
    from audit.demo.inject import parse_faults
    from audit.demo.server import FleetServer

    eb = account.boto("elasticbeanstalk", "ap-south-1")
    eb.create_application(ApplicationName="shop")
    eb.create_environment(ApplicationName="shop", EnvironmentName="shop-prod", SolutionStackName="Corretto 17")
    server = FleetServer(inject=parse_faults("deny=elasticbeanstalk:DescribeApplications")).start()
    try:
        aws = AwsContext(AwsSettings(endpoint_url=server.url, max_attempts=1), day="2026-01-01")
        ctx = Ctx(account.account_id, "test-client", "ap-south-1", "beanstalk",
                  lambda service, where="ap-south-1": aws.client(account.target, where, service),
                  datetime.now(UTC) - timedelta(days=30))
        rows = REGISTRY["beanstalk"].collect(ctx)
    finally:
        server.stop()
    assert [(e["operation"], e["error_class"]) for e in ctx.errors][:1] == [("DescribeApplications", "access-denied")]
    assert [e["name"] for e in rows["beanstalk_environments"]] == ["shop-prod"]
