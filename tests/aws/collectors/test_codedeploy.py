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


def test_batched_falls_back_only_on_not_implemented_and_a_failed_batch_costs_that_batch(account) -> None:
    """Over HTTP: moto does not implement BatchGetDeploymentGroups, so the per-item fallback answers,
    silently; a batch that fails (an application deleted between List and BatchGet: moto answers
    ApplicationDoesNotExistException, as AWS does) is an errors row and loses only its own batch."""

    cd = account.boto("codedeploy")
    cd.create_application(applicationName="app", computePlatform="Server")
    role = f"arn:aws:iam::{account.account_id}:role/cd"
    for group in ("g1", "g2", "g3"):
        cd.create_deployment_group(applicationName="app", deploymentGroupName=group, serviceRoleArn=role)
    ctx = account.ctx("codedeploy")
    client = ctx.client("codedeploy")
    found = batched(ctx, ["g1", "g2", "g3"], 2,
                    lambda p: client.batch_get_deployment_groups(applicationName="app", deploymentGroupNames=p)
                    ["deploymentGroupsInfo"],
                    lambda g: client.get_deployment_group(applicationName="app", deploymentGroupName=g)
                    ["deploymentGroupInfo"], "GetDeploymentGroup")
    assert [g["deploymentGroupName"] for g in found] == ["g1", "g2", "g3"] and ctx.errors == []

    apps = batched(ctx, ["gone", "app"], 1,
                   lambda p: client.batch_get_applications(applicationNames=p)["applicationsInfo"],
                   lambda n: client.get_application(applicationName=n)["application"], "GetApplication")
    assert [a["applicationName"] for a in apps] == ["app"]
    assert [(e["operation"], e["error_code"]) for e in ctx.errors] == [("BatchGetApplications",
                                                                  "ApplicationDoesNotExistException")]


def test_ecs_group_names_its_services(account) -> None:
    """A CodeDeploy ECS deployment group names what it deploys in ecsServices[] (clusterName,
    serviceName: https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ECSService.html)."""
    cd = account.boto("codedeploy")
    cd.create_application(applicationName="web", computePlatform="ECS")
    cd.create_deployment_group(
        applicationName="web", deploymentGroupName="prod", serviceRoleArn=f"arn:aws:iam::{account.account_id}:role/cd",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        ecsServices=[{"serviceName": "api", "clusterName": "main"}, {"serviceName": "worker", "clusterName": "main"}])
    rows, errors = account.collect("codedeploy")
    assert errors == []
    (group,) = rows["codedeploy_groups"]
    assert group["target_kind"] == "ecs" and group["ecs_services"] == ["main/api", "main/worker"]
