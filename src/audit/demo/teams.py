"""How each team builds and deploys in a client account, seeded through boto3.

    web   Node on ECS Fargate: GitHub (CodeStar connection) -> CodeBuild -> CloudFormation stack
          owning the service; ECR; optional manual approval; one client on CodeDeploy blue/green
    data  Python on Lambda: CodeCommit or GitHub -> CodeBuild `sam package` -> CloudFormation change
          set of a SAM stack owning the functions and a REST API
    java  Java on Elastic Beanstalk, or CodeDeploy to an EC2 Auto Scaling group; S3 zip source
    ops   manual resources: S3 website + CloudFront, an ASG without a stack, an IAM user with keys
"""

from __future__ import annotations

import json
from typing import Any

from audit.demo import backend_fixes as fix
from audit.demo.model import ORG, UNMATCHED_REPO, XSS, XSS_NAME, ClientSpec
from audit.demo.seed import GLOBAL, Ctx, PipelineSeed, artifacts_bucket, tag_list, tags
from audit.names import looks_secret

NODE_IMAGE = "aws/codebuild/standard:7.0"
AL2_IMAGE = "aws/codebuild/amazonlinux2-x86_64-standard:5.0"


def _action(name: str, category: str, provider: str, config: dict[str, Any], *, owner: str = "AWS",
            inputs: tuple[str, ...] = (), outputs: tuple[str, ...] = (), run_order: int = 1) -> dict[str, Any]:
    return {"name": name, "actionTypeId": {"category": category, "owner": owner, "provider": provider,
                                           "version": "1"},
            "configuration": config, "runOrder": run_order,
            "inputArtifacts": [{"name": i} for i in inputs], "outputArtifacts": [{"name": o} for o in outputs]}


def _github_source(ctx: Ctx, repo: str) -> dict[str, Any]:
    conn = f"arn:aws:codestar-connections:{ctx.region}:{ctx.acct}:connection/{ctx.acct[:8]}-0c0n-4e7d-9f00-github"
    if fix.connection(ctx, conn, f"{ctx.spec.name}-github", "GitHub", tags(ctx.spec, "web")):
        ctx.out.add("connections", ctx.region)
    return _action("Source", "Source", "CodeStarSourceConnection", {
        "ConnectionArn": conn, "FullRepositoryId": f"{ORG}/{repo}", "BranchName": "main",
        "OutputArtifactFormat": "CODE_ZIP", "DetectChanges": "true"}, outputs=("SourceOutput",))


def _build(project: str) -> dict[str, Any]:
    return _action("Build", "Build", "CodeBuild", {"ProjectName": project}, inputs=("SourceOutput",),
                   outputs=("BuildOutput",))


def pipeline(ctx: Ctx, name: str, team: str, role_arn: str, stages: list[tuple[str, list[dict]]],
             seed: PipelineSeed, *, v2: bool = False, extra_tags: dict[str, str] | None = None) -> None:
    store = artifacts_bucket(ctx.spec) if ctx.spec.baseline.artifacts_bucket else f"codepipeline-{ctx.region}-{ctx.acct}"
    body: dict[str, Any] = {
        "name": name, "roleArn": role_arn, "version": 1,
        "artifactStore": {"type": "S3", "location": store},
        "stages": [{"name": s, "actions": actions} for s, actions in stages],
    }
    if v2:
        body["pipelineType"] = "V2"
        body["executionMode"] = "QUEUED"
    ctx.c("codepipeline").create_pipeline(pipeline=body, tags=tag_list(tags(ctx.spec, team, **(extra_tags or {})),
                                                                       "key", "value"))
    ctx.out.add("pipelines", ctx.region)
    ctx.out.add("pipeline_actions", ctx.region, sum(len(a) for _, a in stages))
    ctx.out.pipelines.append(seed)
    source = stages[0][1][0]
    pattern = _source_event_pattern(ctx, source["actionTypeId"]["provider"], source["configuration"])
    if pattern is not None:  # what the console creates for a CodeCommit, S3 or ECR source
        rule = f"{name}-source"
        events = ctx.c("events")
        events.put_rule(Name=rule, EventPattern=json.dumps(pattern), State="ENABLED",
                        Description=f"Start {name} on a source change")
        events.put_targets(Rule=rule, Targets=[{"Id": "codepipeline", "RoleArn": role_arn,
                                                "Arn": f"arn:aws:codepipeline:{ctx.region}:{ctx.acct}:{name}"}])
        ctx.out.add("pipeline_event_rules", ctx.region)


def _source_event_pattern(ctx: Ctx, provider: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """The EventBridge pattern that starts a pipeline on its source (CodePipeline user guide,
    "Source actions and change detection methods"); None for sources that detect changes themselves."""
    if provider == "CodeCommit":
        return {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
                "resources": [f"arn:aws:codecommit:{ctx.region}:{ctx.acct}:{config['RepositoryName']}"],
                "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"],
                           "referenceName": [config.get("BranchName", "main")]}}
    if provider == "S3":
        return {"source": ["aws.s3"], "detail-type": ["Object Created"],
                "detail": {"bucket": {"name": [config["S3Bucket"]]}, "object": {"key": [config["S3ObjectKey"]]}}}
    if provider == "ECR":
        return {"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
                "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"],
                           "repository-name": [config["RepositoryName"]], "image-tag": [config.get("ImageTag", "latest")]}}
    return None


def build_project(ctx: Ctx, name: str, team: str, role_arn: str, *, image: str, env: list[dict[str, str]],
                  buildspec: str = "buildspec.yml", description: str = "", privileged: bool = False) -> str:
    ctx.c("codebuild").create_project(
        name=name, description=description or f"Build for {name}",
        source={"type": "CODEPIPELINE", "location": "codepipeline", "buildspec": buildspec},
        artifacts={"type": "CODEPIPELINE", "location": "codepipeline"},
        environment={"type": "LINUX_CONTAINER", "image": image, "computeType": "BUILD_GENERAL1_SMALL",
                     "privilegedMode": privileged, "environmentVariables": env},
        serviceRole=role_arn, tags=tag_list(tags(ctx.spec, team), "key", "value"))
    ctx.out.add("codebuild_projects", ctx.region)
    for var in env:
        if var.get("type") == "PLAINTEXT" and looks_secret(var["name"]):
            ctx.out.secret(var["value"], "codebuild_projects", ctx.region, name, var["name"])
    return name


def ecr_repository(ctx: Ctx, name: str, team: str, *, scan: bool) -> str:
    ctx.c("ecr").create_repository(repositoryName=name, tags=tag_list(tags(ctx.spec, team)),
                                   imageScanningConfiguration={"scanOnPush": scan},
                                   imageTagMutability="IMMUTABLE" if scan else "MUTABLE")
    ctx.out.add("ecr_repositories", ctx.region)
    return f"{ctx.acct}.dkr.ecr.{ctx.region}.amazonaws.com/{name}"


# ---- web -------------------------------------------------------------------------------------------


def seed_web(ctx: Ctx) -> None:
    app = ctx.spec.web
    if app is None:
        return
    spec, repo = ctx.spec, app.repo
    cb_role = ctx.service_role("web-codebuild-role", "codebuild", "web")
    cp_role = ctx.service_role("web-codepipeline-role", "codepipeline", "web")
    cfn_role = ctx.service_role("web-cloudformation-deploy", "cloudformation", "web")
    exec_role = ctx.service_role("web-ecs-task-execution", "ecs-tasks", "web")
    image = ecr_repository(ctx, repo, "web", scan=spec.index % 2 == 0)
    env = [{"name": "IMAGE_REPO_NAME", "value": repo, "type": "PLAINTEXT"},
           {"name": "NPM_TOKEN", "value": f"/{spec.name}/web/npm-token", "type": "PARAMETER_STORE"}]
    if spec.index % 3 == 0:  # a plaintext secret in a build project: the finding the crawl must raise
        env.append({"name": "DB_PASSWORD", "value": f"fleet-Plaintext-Pw-{spec.account_id[-6:]}!", "type": "PLAINTEXT"})
    description = f"Builds {repo} for {spec.name}"
    if spec.index == 0:
        description = f"Storefront build \"main\" for O'Brien's team {XSS}"
    project = build_project(ctx, f"{spec.name}-{repo}-build", "web", cb_role, image=NODE_IMAGE, env=env,
                            description=description, privileged=True)
    cluster = f"{spec.name}-web"
    stack = f"{spec.name}-{repo}"
    session_secret = f"fleet-session-secret-{spec.account_id}"
    ctx.out.secret(session_secret, "ecs_services", ctx.region, repo, "SESSION_SECRET")
    template = {"Description": f"{repo} on ECS Fargate", "Resources": {
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": cluster}},
        "TaskDefinition": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
            "Family": repo, "RequiresCompatibilities": ["FARGATE"], "NetworkMode": "awsvpc",
            "Cpu": "256", "Memory": "512", "ExecutionRoleArn": exec_role,
            "ContainerDefinitions": [{"Name": "app", "Image": f"{image}:release", "Memory": 512,
                                      "Environment": [{"Name": "NODE_ENV", "Value": "production"},
                                                      {"Name": "SESSION_SECRET", "Value": session_secret}],
                                      "PortMappings": [{"ContainerPort": 3000}]}]}},
        "Service": {"Type": "AWS::ECS::Service", "Properties": {
            "ServiceName": repo, "Cluster": {"Ref": "Cluster"}, "TaskDefinition": {"Ref": "TaskDefinition"},
            "DesiredCount": 2, "LaunchType": "FARGATE",
            "DeploymentController": {"Type": "CODE_DEPLOY" if app.blue_green else "ECS"}}},
    }}
    ctx.stack(stack, template, "web")
    fix.ecs_service(ctx, cluster, repo, launch_type="FARGATE",
                    controller="CODE_DEPLOY" if app.blue_green else "ECS", tag=tags(spec, "web"))
    stages: list[tuple[str, list[dict]]] = [("Source", [_github_source(ctx, repo)]), ("Build", [_build(project)])]
    if app.manual_approval:
        stages.append(("Approve", [_action("Approve", "Approval", "Manual",
                                           {"CustomData": "Release to production?"})]))
    seed = PipelineSeed(ctx.acct, spec.name, ctx.region, "web", stack, repo, "CodeStarSourceConnection", project)
    if app.blue_green:
        deploy = _blue_green(ctx, repo, cluster)
        seed.codedeploy = deploy
        stages.append(("Deploy", [_action("Deploy", "Deploy", "CodeDeployToECS", {
            "ApplicationName": deploy[0], "DeploymentGroupName": deploy[1],
            "TaskDefinitionTemplateArtifact": "BuildOutput", "AppSpecTemplateArtifact": "BuildOutput"},
            inputs=("BuildOutput",))]))
    else:
        stages.append(("Deploy", [_action("Deploy", "Deploy", "CloudFormation", {
            "ActionMode": "CREATE_UPDATE", "StackName": stack, "TemplatePath": "BuildOutput::stack.yaml",
            "RoleArn": cfn_role, "Capabilities": "CAPABILITY_IAM"}, inputs=("BuildOutput",))]))
    extra = {"owner": f"{XSS} \"web\" 'lead'"} if spec.index == 0 else None
    pipeline(ctx, stack, "web", cp_role, stages, seed, v2=True, extra_tags=extra)
    if spec.legacy_admin:
        _legacy_admin(ctx, cp_role, cb_role, cluster)


def _blue_green(ctx: Ctx, repo: str, cluster: str) -> tuple[str, str]:
    spec = ctx.spec
    role = ctx.service_role("web-codedeploy-role", "codedeploy", "web")
    alarm = ctx.alarm(f"{spec.name}-{repo}-5xx", "web", namespace="AWS/ApplicationELB",
                      metric="HTTPCode_Target_5XX_Count")
    cd = ctx.c("codedeploy")
    app_name, group = f"{spec.name}-{repo}", f"{repo}-blue-green"
    cd.create_application(applicationName=app_name, computePlatform="ECS", tags=tag_list(tags(spec, "web")))
    ctx.out.add("codedeploy_applications", ctx.region)
    cd.create_deployment_group(
        applicationName=app_name, deploymentGroupName=group, serviceRoleArn=role,
        deploymentConfigName="CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        ecsServices=[{"serviceName": repo, "clusterName": cluster}],
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
        alarmConfiguration={"enabled": True, "alarms": [{"name": alarm}]},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}},
        tags=tag_list(tags(spec, "web")))
    ctx.out.add("codedeploy_groups", ctx.region)
    return app_name, group


def _legacy_admin(ctx: Ctx, cp_role: str, cb_role: str, cluster: str) -> None:
    """A second web pipeline from a repository nobody listed in repos.yaml, deploying straight to ECS."""
    spec = ctx.spec
    project = build_project(ctx, f"{spec.name}-{UNMATCHED_REPO}-build", "web", cb_role, image=NODE_IMAGE,
                            env=[{"name": "IMAGE", "value": f"consultancy/{UNMATCHED_REPO}", "type": "PLAINTEXT"}],
                            privileged=True)
    ecs = ctx.c("ecs")
    ecs.register_task_definition(family=UNMATCHED_REPO, containerDefinitions=[
        {"name": "app", "image": f"docker.io/consultancy/{UNMATCHED_REPO}:2.3", "memory": 256}],
        requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512")
    ecs.create_service(cluster=cluster, serviceName=UNMATCHED_REPO, taskDefinition=UNMATCHED_REPO,
                       desiredCount=1, launchType="FARGATE", tags=tag_list(tags(spec, "web"), "key", "value"))
    ctx.out.add("ecs_services", ctx.region)
    name = f"{spec.name}-{UNMATCHED_REPO}"
    seed = PipelineSeed(ctx.acct, spec.name, ctx.region, "web", name, None, "CodeStarSourceConnection", project)
    pipeline(ctx, name, "web", cp_role, [
        ("Source", [_github_source(ctx, UNMATCHED_REPO)]), ("Build", [_build(project)]),
        ("Deploy", [_action("Deploy", "Deploy", "ECS", {"ClusterName": cluster, "ServiceName": UNMATCHED_REPO,
                                                        "FileName": "imagedefinitions.json"},
                            inputs=("BuildOutput",))])], seed)


# ---- data ------------------------------------------------------------------------------------------


def seed_data(ctx: Ctx) -> None:
    app = ctx.spec.data
    if app is None:
        return
    spec, repo = ctx.spec, app.repo
    cb_role = ctx.service_role("data-codebuild-role", "codebuild", "data")
    cp_role = ctx.service_role("data-codepipeline-role", "codepipeline", "data")
    cfn_role = ctx.service_role("data-cloudformation-deploy", "cloudformation", "data")
    fn_role = ctx.service_role("data-lambda-execution", "lambda", "data")
    if app.source == "codecommit":
        ctx.c("codecommit").create_repository(repositoryName=repo, repositoryDescription=f"{repo} (mirror)",
                                              tags=tags(spec, "data"))
        fix.codecommit_repository(ctx.acct, ctx.region, repo, tags(spec, "data"))
        ctx.out.add("codecommit_repositories", ctx.region)
        source = _action("Source", "Source", "CodeCommit", {"RepositoryName": repo, "BranchName": "main",
                                                            "PollForSourceChanges": "false"},
                         outputs=("SourceOutput",))
    else:
        source = _github_source(ctx, repo)
    inline = app.source == "codecommit"
    buildspec = ("version: 0.2\nphases:\n  install:\n    runtime-versions: {python: 3.12}\n  build:\n"
                 "    commands:\n      - sam build\n      - sam package --s3-bucket $SAM_BUCKET "
                 "--output-template-file packaged.yaml\nartifacts:\n  files: [packaged.yaml]\n") if inline \
        else "buildspec.yml"
    bucket = artifacts_bucket(spec) if spec.baseline.artifacts_bucket else f"{spec.name}-sam-{spec.account_id}"
    project = build_project(ctx, f"{spec.name}-{repo}-sam", "data", cb_role, image=AL2_IMAGE, buildspec=buildspec,
                            env=[{"name": "SAM_BUCKET", "value": bucket, "type": "PLAINTEXT"},
                                 {"name": "API_KEY", "value": f"{spec.name}/data/api-key", "type": "SECRETS_MANAGER"}])
    secret = f"sk_live_fleet_{spec.account_id}_Zq8"
    for fn in (f"{repo}-api", f"{repo}-worker"):
        ctx.out.secret(secret, "lambda_functions", ctx.region, fn, "STRIPE_SECRET_KEY")
    stack = f"{spec.name}-{repo}"
    fn_env = {"Variables": {"TABLE_NAME": f"{repo}-events", "STRIPE_SECRET_KEY": secret, "LOG_LEVEL": "INFO"}}
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31",
                "Description": f"{repo} (SAM)", "Resources": {
                    "ApiFunction": {"Type": "AWS::Lambda::Function", "Properties": {
                        "FunctionName": f"{repo}-api", "Runtime": "python3.12", "Handler": "app.api.handler",
                        "Role": fn_role, "MemorySize": 256, "Environment": fn_env,
                        "Code": {"ZipFile": "def handler(event, context):\n    return {}\n"}}},
                    "WorkerFunction": {"Type": "AWS::Lambda::Function", "Properties": {
                        "FunctionName": f"{repo}-worker", "Runtime": "python3.12", "Handler": "app.worker.handler",
                        "Role": fn_role, "MemorySize": 512, "Environment": fn_env,
                        "Code": {"ZipFile": "def handler(event, context):\n    return None\n"}}},
                    "ServerlessRestApi": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": repo}},
                }}
    ctx.stack(stack, template, "data")
    fix.lambda_tags(ctx, [f"{repo}-api", f"{repo}-worker"], tags(spec, "data"))
    if app.http_api:
        ctx.c("apigatewayv2").create_api(Name=f"{repo}-public", ProtocolType="HTTP", Tags=tags(spec, "data"))
        ctx.out.add("apigateway_apis", ctx.region)
    deploy = [
        _action("CreateChangeSet", "Deploy", "CloudFormation", {
            "ActionMode": "CHANGE_SET_REPLACE", "StackName": stack, "ChangeSetName": f"{stack}-changes",
            "TemplatePath": "BuildOutput::packaged.yaml", "Capabilities": "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND",
            "RoleArn": cfn_role}, inputs=("BuildOutput",), run_order=1),
        _action("ExecuteChangeSet", "Deploy", "CloudFormation", {
            "ActionMode": "CHANGE_SET_EXECUTE", "StackName": stack, "ChangeSetName": f"{stack}-changes"},
            run_order=2),
    ]
    provider = "CodeCommit" if app.source == "codecommit" else "CodeStarSourceConnection"
    seed = PipelineSeed(ctx.acct, spec.name, ctx.region, "data", stack, repo, provider, project)
    pipeline(ctx, stack, "data", cp_role, [("Source", [source]), ("Build", [_build(project)]), ("Deploy", deploy)],
             seed)
    if spec.serverless_framework:
        _serverless_stack(ctx, fn_role)


def _serverless_stack(ctx: Ctx, fn_role: str) -> None:
    spec = ctx.spec
    template = {"AWSTemplateFormatVersion": "2010-09-09",
                "Description": "The AWS CloudFormation template for this Serverless application",
                "Resources": {
                    "ServerlessDeploymentBucket": {"Type": "AWS::S3::Bucket", "Properties": {
                        "BucketName": f"notifier-prod-serverlessdeploymentbucket-{spec.account_id}"}},
                    "SendLambdaFunction": {"Type": "AWS::Lambda::Function", "Properties": {
                        "FunctionName": "notifier-prod-send", "Runtime": "nodejs20.x", "Handler": "handler.send",
                        "Role": fn_role, "Code": {"ZipFile": "exports.send = async () => ({})"}}}},
                "Outputs": {"ServerlessDeploymentBucketName": {"Value": {"Ref": "ServerlessDeploymentBucket"}}}}
    ctx.stack("notifier-prod", template, "data", extra_tags={"STAGE": "prod"})
    fix.lambda_tags(ctx, ["notifier-prod-send"], tags(spec, "data", STAGE="prod"))


# ---- java ------------------------------------------------------------------------------------------


def seed_java(ctx: Ctx) -> None:
    app = ctx.spec.java
    if app is None:
        return
    spec, repo = ctx.spec, app.repo
    cb_role = ctx.service_role("java-codebuild-role", "codebuild", "java")
    cp_role = ctx.service_role("java-codepipeline-role", "codepipeline", "java")
    releases = ctx.bucket(f"{spec.name}-java-releases-{spec.account_id}", "java")
    project = build_project(ctx, f"{spec.name}-{repo}-maven", "java", cb_role, image=AL2_IMAGE,
                            env=[{"name": "MAVEN_OPTS", "value": "-Xmx1g", "type": "PLAINTEXT"}])
    source = _action("Source", "Source", "S3", {"S3Bucket": releases, "S3ObjectKey": f"releases/{repo}.zip",
                                                "PollForSourceChanges": "false"}, outputs=("SourceOutput",))
    seed = PipelineSeed(ctx.acct, spec.name, ctx.region, "java", f"{spec.name}-{repo}", repo, "S3", project)
    if app.kind == "beanstalk":
        ctx.service_role("aws-elasticbeanstalk-ec2-role", "ec2", "java")
        eb = ctx.c("elasticbeanstalk")
        eb.create_application(ApplicationName=repo, Description=f"{repo} for {spec.name}",
                              Tags=tag_list(tags(spec, "java")))
        ctx.out.add("beanstalk_applications", ctx.region)
        db_password = f"fleet-eb-db-{spec.account_id[-5:]}-secret"
        ctx.out.secret(db_password, "beanstalk_environments", ctx.region, f"{repo}-prod", "DB_PASSWORD")
        options = [{"Namespace": "aws:elasticbeanstalk:application:environment", "OptionName": "DB_PASSWORD",
                    "Value": db_password},
                   {"Namespace": "aws:elasticbeanstalk:application:environment", "OptionName": "SPRING_PROFILES_ACTIVE",
                    "Value": "prod"},
                   {"Namespace": "aws:autoscaling:launchconfiguration", "OptionName": "InstanceType",
                    "Value": "t3.small"},
                   {"Namespace": "aws:elasticbeanstalk:command", "OptionName": "DeploymentPolicy",
                    "Value": "Rolling" if spec.index % 2 else "AllAtOnce"}]
        stack = "64bit Amazon Linux 2023 v4.4.1 running Corretto 17"
        eb.create_environment(ApplicationName=repo, EnvironmentName=f"{repo}-prod", SolutionStackName=stack,
                              OptionSettings=options, Tags=tag_list(tags(spec, "java")))
        ctx.out.add("beanstalk_environments", ctx.region)
        fix.beanstalk_environment(ctx, f"{repo}-prod", stack, options, tags(spec, "java"))
        deploy = _action("Deploy", "Deploy", "ElasticBeanstalk", {"ApplicationName": repo,
                                                                  "EnvironmentName": f"{repo}-prod"},
                         inputs=("BuildOutput",))
    else:
        cd_role = ctx.service_role("java-codedeploy-role", "codedeploy", "java")
        ctx.service_role(f"{repo}-ec2-instance", "ec2", "java")
        asg = f"{repo}-asg"
        _launch_template_and_asg(ctx, f"{repo}-lt", asg, "java")
        cd = ctx.c("codedeploy")
        cd.create_application(applicationName=repo, computePlatform="Server", tags=tag_list(tags(spec, "java")))
        ctx.out.add("codedeploy_applications", ctx.region)
        cd.create_deployment_group(
            applicationName=repo, deploymentGroupName=f"{repo}-prod", serviceRoleArn=cd_role,
            deploymentConfigName="CodeDeployDefault.OneAtATime", autoScalingGroups=[asg],
            deploymentStyle={"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
            autoRollbackConfiguration={"enabled": spec.index % 2 == 0, "events": ["DEPLOYMENT_FAILURE"]},
            tags=tag_list(tags(spec, "java")))
        ctx.out.add("codedeploy_groups", ctx.region)
        seed.codedeploy = (repo, f"{repo}-prod")
        deploy = _action("Deploy", "Deploy", "CodeDeploy", {"ApplicationName": repo,
                                                            "DeploymentGroupName": f"{repo}-prod"},
                         inputs=("BuildOutput",))
    pipeline(ctx, seed.name, "java", cp_role,
             [("Source", [source]), ("Build", [_build(project)]), ("Deploy", [deploy])], seed)


def _launch_template_and_asg(ctx: Ctx, lt: str, asg: str, team: str) -> None:
    """A launch template and an ASG using it, at capacity 0 (moto would start EC2 instances otherwise)."""
    t = tags(ctx.spec, team)
    ctx.c("ec2").create_launch_template(
        LaunchTemplateName=lt, LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.small"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": tag_list(t)}])
    ctx.out.add("launch_templates", ctx.region)
    ctx.c("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=asg, LaunchTemplate={"LaunchTemplateName": lt, "Version": "$Latest"},
        MinSize=0, MaxSize=4, DesiredCapacity=0, AvailabilityZones=[f"{ctx.region}a"],
        Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in t.items()])
    ctx.out.add("autoscaling_groups", ctx.region)


# ---- ops -------------------------------------------------------------------------------------------


def ops_trial_cluster(spec: ClientSpec) -> str:
    return f"{spec.name}-ops-trial"


def _ops_connections(ctx: Ctx) -> None:
    """Connections no pipeline uses, made since the rename (codeconnections ARNs): a Bitbucket one
    nobody finished in the console (PENDING), and on odd clients a self-managed GitLab host's."""
    spec, base = ctx.spec, f"arn:aws:codeconnections:{ctx.region}:{ctx.acct}"
    made = [fix.connection(ctx, f"{base}:connection/{spec.account_id[:8]}-b1b0-4c1e-8d2a-bitbucket",
                           f"{spec.name}-bitbucket", "Bitbucket", tags(spec, "ops"), status="PENDING")]
    if spec.index % 2 == 1:
        made.append(fix.connection(ctx, f"{base}:connection/{spec.account_id[:8]}-91ab-4f00-a1b2-gitlab",
                                   f"{spec.name}-gitlab", "GitLabSelfManaged", tags(spec, "ops"),
                                   host_arn=f"{base}:host/{spec.name}-gitlab-{spec.account_id[:6]}"))
    ctx.out.add("connections", ctx.region, sum(made))


def seed_ops(ctx: Ctx) -> None:
    if not ctx.spec.ops:
        return
    spec = ctx.spec

    site = ctx.bucket(f"{spec.name}-www-{spec.account_id}", "ops", website=True)
    origin = f"{site}.s3-website-{ctx.region}.amazonaws.com"
    ctx.c("cloudfront", "us-east-1").create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": {
            "CallerReference": f"{spec.name}-www", "Comment": f"{spec.name} website", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": origin, "CustomOriginConfig": {
                "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                     "MinTTL": 0, "ForwardedValues": {"QueryString": False,
                                                                       "Cookies": {"Forward": "none"}}}},
        "Tags": {"Items": tag_list(tags(spec, "ops"))}})
    ctx.out.add("cloudfront_distributions", GLOBAL)
    asg = XSS_NAME if spec.index == 1 else f"{spec.name}-legacy-batch"
    _launch_template_and_asg(ctx, f"{spec.name}-legacy-batch-lt", asg, "ops")
    if spec.index % 2 == 1:  # a Kubernetes trial cluster someone clicked together in the console
        ctx.c("eks").create_cluster(
            name=ops_trial_cluster(spec), version="1.29",
            roleArn=ctx.service_role("ops-eks-cluster", "eks", "ops"),
            resourcesVpcConfig={"subnetIds": ["subnet-0a1b2c3d"]}, tags=tags(spec, "ops"))
        ctx.out.add("eks_clusters", ctx.region)
    _ops_connections(ctx)
    iam = ctx.c("iam")
    iam.create_user(UserName="deploy-bot", Tags=tag_list(tags(spec, "ops")))
    key = iam.create_access_key(UserName="deploy-bot")["AccessKey"]
    ctx.out.secrets.append(key["SecretAccessKey"])
    ctx.out.findings.append(("long-lived-access-key", "iam_users", GLOBAL, "deploy-bot", None))
    ctx.out.add("iam_users", GLOBAL)
    fix.backdate_access_keys(ctx, "deploy-bot", days=400 + spec.index * 7)
