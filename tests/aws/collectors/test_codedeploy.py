from __future__ import annotations

from audit.aws.collectors.codedeploy import batched


def test_applications_groups_deployments_with_batch_fallback(account) -> None:
    cd = account.boto("codedeploy")
    cd.create_application(applicationName="java-app", computePlatform="Server")
    role = f"arn:aws:iam::{account.account_id}:role/cd"
    for group in ("prod", "staging"):
        cd.create_deployment_group(
            applicationName="java-app", deploymentGroupName=group, serviceRoleArn=role,
            deploymentConfigName="CodeDeployDefault.OneAtATime",
            autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
            alarmConfiguration={"enabled": True, "alarms": [{"name": "5xx-alarm"}]},
            autoScalingGroups=["java-asg"])
    dep = cd.create_deployment(applicationName="java-app", deploymentGroupName="prod",
                               revision={"revisionType": "S3", "s3Location": {
                                   "bucket": "b", "key": "k.zip", "bundleType": "zip"}})["deploymentId"]
    rows, errors = account.collect("codedeploy")
    assert errors == []  # BatchGetDeploymentGroups is missing in moto: the fallback is silent and complete
    (app,) = rows["codedeploy_applications"]
    assert app["compute_platform"] == "Server" and app["arn"].endswith(":application:java-app")
    groups = {g["name"]: g for g in rows["codedeploy_groups"]}
    assert set(groups) == {"prod", "staging"}
    prod = groups["prod"]
    assert prod["application_name"] == "java-app" and prod["deployment_config"] == "CodeDeployDefault.OneAtATime"
    assert prod["arn"].endswith(":deploymentgroup:java-app/prod") and prod["service_role"] == role
    # moto drops alarm/rollback/ASG settings of groups, so those columns are checked by the fleet tests
    assert [d["deployment_id"] for d in rows["codedeploy_deployments"]] == [dep]


def test_batched_falls_back_only_on_not_implemented() -> None:
    from botocore.exceptions import ClientError

    def not_impl(_):
        raise ClientError({"Error": {"Code": "500", "Message": "<html>500</html>"},
                           "ResponseMetadata": {"HTTPStatusCode": 500}}, "BatchGetX")

    def denied(_):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"},
                           "ResponseMetadata": {"HTTPStatusCode": 400}}, "BatchGetX")

    assert batched(["a", "b", "c"], 2, not_impl, lambda i: {"id": i}) == [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    try:
        batched(["a"], 2, denied, lambda i: {"id": i})
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "AccessDeniedException"
    else:
        raise AssertionError("AccessDenied must not be hidden by the fallback")
