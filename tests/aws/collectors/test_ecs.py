from __future__ import annotations

import json


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
