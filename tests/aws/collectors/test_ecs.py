from __future__ import annotations

import json

import pandas as pd


def test_clusters_and_services_with_image_and_env_names(account) -> None:
    ecs = account.boto("ecs")
    ecs.create_cluster(clusterName="web", tags=[{"key": "team", "value": "web"}])
    account_id = account.account_id
    ecs.register_task_definition(family="web-app", containerDefinitions=[{
        "name": "app", "image": f"{account_id}.dkr.ecr.eu-west-1.amazonaws.com/web-app:1.2.3", "memory": 512,
        "environment": [{"name": "SESSION_SECRET", "value": "s3cr3t-value"}, {"name": "PORT", "value": "80"}]}])
    for i in range(12):  # more than one DescribeServices batch of 10
        ecs.create_service(cluster="web", serviceName=f"svc-{i:02d}", taskDefinition="web-app", desiredCount=1,
                           launchType="FARGATE", deploymentController={"type": "CODE_DEPLOY"} if i == 0 else {"type": "ECS"})
    rows, errors = account.collect("ecs")
    assert errors == []
    assert "s3cr3t-value" not in json.dumps(rows, default=str)
    (cluster,) = rows["ecs_clusters"]
    assert cluster["name"] == "web" and json.loads(cluster["tags"]) == {"team": "web"}
    services = {s["name"]: s for s in rows["ecs_services"]}
    assert len(services) == 12
    s0 = services["svc-00"]
    assert s0["image_registry"] == "ecr" and s0["image"].endswith("/web-app")
    assert s0["deployment_controller"] == "CODE_DEPLOY" and s0["launch_type"] == "FARGATE"
    assert s0["env_var_names"] == ["SESSION_SECRET", "PORT"] and s0["cluster"] == "web"
    assert {f["detail"] for f in rows["findings"]} == {"SESSION_SECRET"}


def test_image_helpers() -> None:
    from audit.aws.collectors.base import image_registry, strip_tag

    assert image_registry("nginx:1.25") == "dockerhub" and image_registry("ghcr.io/a/b:1") == "ghcr"
    assert image_registry("public.ecr.aws/x/y") == "public-ecr" and image_registry("quay.io/a/b") == "other"
    assert strip_tag("localhost:5000/app:1") == "localhost:5000/app" and strip_tag("a/b@sha256:00") == "a/b"


def test_external_controller_takes_the_image_of_its_primary_task_set(account) -> None:
    """An EXTERNAL-controller service has no taskDefinition of its own; its task sets carry it, and
    the PRIMARY one is what runs (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html,
    `taskSets`; API_TaskSet.html, `status` PRIMARY | ACTIVE | DRAINING)."""
    ecs = account.boto("ecs")
    ecs.create_cluster(clusterName="ext")
    for family, image in (("old", "ghcr.io/acme/api:1"), ("new", f"{account.account_id}.dkr.ecr.eu-west-1."
                                                                   "amazonaws.com/api:2")):
        ecs.register_task_definition(family=family, containerDefinitions=[{"name": "a", "image": image,
                                                                            "memory": 128}])
    ecs.create_service(cluster="ext", serviceName="api", desiredCount=1, deploymentController={"type": "EXTERNAL"})
    ecs.create_task_set(cluster="ext", service="api", taskDefinition="old")
    primary = ecs.create_task_set(cluster="ext", service="api", taskDefinition="new")["taskSet"]["taskSetArn"]
    ecs.update_service_primary_task_set(cluster="ext", service="api", primaryTaskSet=primary)
    rows, errors = account.collect("ecs")
    assert errors == []
    (svc,) = rows["ecs_services"]
    assert svc["deployment_controller"] == "EXTERNAL" and svc["deployment_strategy"] is None
    assert svc["task_definition"].endswith(":task-definition/new:1")
    assert svc["image"].endswith(".amazonaws.com/api") and svc["image_registry"] == "ecr"


def test_native_strategy_and_rollback_gates(account) -> None:
    """ECS-native blue/green, linear and canary live in deploymentConfiguration.strategy; the circuit
    breaker's rollback and alarms.rollback are rollback gates
    (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html,
    API_DeploymentAlarms.html). moto drops deploymentConfiguration: the backend keeps it as AWS does."""
    from types import SimpleNamespace

    from audit.analysis.resources import compute_resources
    from audit.aws.managed import fill_rollback_alarms
    from audit.demo import backend_fixes as fix

    ecs = account.boto("ecs")
    ecs.create_cluster(clusterName="web")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "a", "image": "nginx:1", "memory": 128}])
    configs = {
        "canary": {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5},
                   "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                   "alarms": {"alarmNames": ["web-5xx"], "enable": True, "rollback": True}},
        "bluegreen": {"strategy": "BLUE_GREEN", "alarms": {"alarmNames": ["ignored"], "enable": True,
                                                           "rollback": False}},
        "linear": {"strategy": "LINEAR", "deploymentCircuitBreaker": {"enable": False, "rollback": True}},
        "plain": {},
    }
    for name, config in configs.items():
        ecs.create_service(cluster="web", serviceName=name, taskDefinition="web", desiredCount=1)
        if config:
            fix.ecs_deployment_configuration(SimpleNamespace(acct=account.account_id, region="eu-west-1"), "web",
                                             name, config)
    rows, errors = account.collect("ecs")
    assert errors == []
    got = {s["name"]: (s["deployment_strategy"], s["rollback_on_failure"], s["rollback_alarms"])
           for s in rows["ecs_services"]}
    assert got == {"canary": ("CANARY", True, ["web-5xx"]), "bluegreen": ("BLUE_GREEN", False, []),
                   "linear": ("LINEAR", False, []), "plain": ("ROLLING", False, [])}
    alarms = [{"region": "eu-west-1", "name": n} for n in ("web-5xx", "ignored")]
    tables = {"ecs_services": rows["ecs_services"], "cloudwatch_alarms": alarms}
    fill_rollback_alarms(tables)
    assert [a["used_for_rollback"] for a in alarms] == [True, False]
    frame = compute_resources({"ecs_services": pd.DataFrame(rows["ecs_services"])})
    units = {r.name: (r.strategy, r.gates if isinstance(r.gates, str) else None) for r in frame.itertuples()}
    assert units == {"canary": ("canary", "circuit-breaker + rollback-alarms"), "bluegreen": ("blue-green", None),
                     "linear": ("linear", None), "plain": ("rolling", None)}
