"""Content probes for deploy targets that only source code and CI steps show, one real git repo per case.

Each case is written the way the tool's documentation shows it (CDK and Pulumi constructs in each
language, Serverless events, AWS CLI / kubectl / helm steps), and each has a negative twin: the
same files without the deploying construct or step must not report the trait.
"""

from __future__ import annotations

import pytest

from audit.repos import detectors as D
from audit.repos.scan import detect_path
from audit.repos.sources import LocalTree

CDK_JSON = '{"app": "npx ts-node --prefer-ts-exts bin/app.ts"}'
CDK_TS = """import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
export class ApiStack extends cdk.Stack {
  constructor(scope: cdk.App, id: string) {
    super(scope, id);
    const fn = new lambda.Function(this, 'Fn', { runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler', code: lambda.Code.fromAsset('lambda') });
    new apigw.LambdaRestApi(this, 'Api', { handler: fn });
  }
}
"""
# the Lambda's own code sits beside the program and calls the AWS SDK: not a construct
HANDLER_TS = """import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
const ecs = new ECSClient({});
export const handler = async () => ecs.send(new UpdateServiceCommand({ service: 'web', cluster: 'c' }));
"""
CDK_PY = """from aws_cdk import App, Stack, aws_lambda as _lambda, aws_ecs_patterns as ecs_patterns, aws_ecs as ecs
from constructs import Construct

class Web(Stack):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        _lambda.Function(self, "Worker", runtime=_lambda.Runtime.PYTHON_3_12, handler="w.main",
                         code=_lambda.Code.from_asset("worker"))
        ecs_patterns.ApplicationLoadBalancedFargateService(
            self, "Web", task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
                image=ecs.ContainerImage.from_registry("nginx")))
"""
CDK_PY_IMPORTED_ONLY = """from aws_cdk import Stack, aws_lambda as lambda_

class Lookups(Stack):
    def __init__(self, scope, id):
        super().__init__(scope, id)
        self.fn = lambda_.Function.from_function_arn(self, "Existing", "arn:aws:lambda:eu-west-1:1:function:f")
"""
CDK_GO = """package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecspatterns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseks"
)

func NewStack(scope constructs.Construct, id string) awscdk.Stack {
	stack := awscdk.NewStack(scope, &id, nil)
	awsecspatterns.NewApplicationLoadBalancedFargateService(stack, jsii.String("Web"), nil)
	awseks.NewCluster(stack, jsii.String("Cluster"), &awseks.ClusterProps{})
	return stack
}
"""
CDK_JAVA = """package com.myorg;

import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.apigateway.RestApi;
import software.amazon.awscdk.pipelines.CodePipeline;

public class AppStack extends Stack {
    public AppStack(final Construct scope, final String id) {
        super(scope, id);
        Function fn = Function.Builder.create(this, "Fn").handler("App::handle").build();
        RestApi api = RestApi.Builder.create(this, "Api").build();
        CodePipeline.Builder.create(this, "Pipeline").synth(synth).build();
    }
}
"""
CDK_CS = """using Amazon.CDK;
using Amazon.CDK.AWS.ECS.Patterns;

namespace Infra
{
    public class WebStack : Stack
    {
        internal WebStack(Construct scope, string id) : base(scope, id)
        {
            new ApplicationLoadBalancedFargateService(this, "Web", new ApplicationLoadBalancedFargateServiceProps());
        }
    }
}
"""
PULUMI_TS = """import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";

const cluster = new aws.ecs.Cluster("cluster");
const lb = new awsx.lb.ApplicationLoadBalancer("lb");
new awsx.ecs.FargateService("web", { cluster: cluster.arn, taskDefinitionArgs: { container: {
    name: "web", image: "nginx", essential: true } } });
const fn = new aws.lambda.Function("fn", { role: "arn", runtime: "nodejs20.x", handler: "index.handler" });
"""
PULUMI_PY = """import pulumi
import pulumi_aws as aws

task = aws.ecs.TaskDefinition("task", family="web", container_definitions="[]")
service = aws.ecs.Service("svc", cluster="c", task_definition=task.arn, desired_count=1)
api = aws.apigatewayv2.Api("api", protocol_type="HTTP")
"""
PULUMI_GO = """package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		_, err := ecs.NewService(ctx, "web", &ecs.ServiceArgs{Cluster: pulumi.String("c")})
		return err
	})
}
"""
PULUMI_YAML = """name: api
runtime: yaml
resources:
  fn:
    type: aws:lambda:Function
    properties: {runtime: python3.12, handler: app.handler, role: arn}
  api:
    type: aws:apigatewayv2:Api
    properties: {protocolType: HTTP}
"""
SLS_SPLIT = """service: orders
provider: {name: aws, runtime: nodejs20.x}
functions: ${file(./functions.yml)}
"""
SLS_FUNCTIONS = """create:
  handler: src/create.handler
  events:
    - http:
        path: orders
        method: post
"""
SLS_TS = """import type { AWS } from '@serverless/typescript';
const serverlessConfiguration: AWS = {
  service: 'orders',
  provider: { name: 'aws', runtime: 'nodejs20.x' },
  functions: {
    hello: { handler: 'src/hello.main', events: [{ http: { method: 'get', path: 'hello' } }] },
  },
};
module.exports = serverlessConfiguration;
"""
# `sls create --template aws-nodejs-typescript`: serverless.ts imports each function's config
SLS_TS_TEMPLATE = """import hello from '@functions/hello';
const serverlessConfiguration = { service: 'api', provider: { name: 'aws' }, functions: { hello } };
module.exports = serverlessConfiguration;
"""
SLS_TS_FUNCTION = """import { handlerPath } from '@libs/handler-resolver';
export default {
  handler: `${handlerPath(__dirname)}/handler.main`,
  events: [
    {
      http: {
        method: 'post',
        path: 'hello',
      },
    },
  ],
};
"""
SLS_FLOW = """service: x
provider: {name: aws}
functions:
  get:
    handler: h.get
    events:
      - {http: {path: items, method: get}}
"""
SLS_QUEUE_ONLY = """service: worker
provider: {name: aws}
functions:
  consume:
    handler: h.run
    events:
      - sqs:
          arn: arn:aws:sqs:eu-west-1:1:q
"""
GHA_EKS = """on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
      - run: aws eks --region ${{ env.AWS_REGION }} update-kubeconfig --name prod
      - run: kubectl -n web apply -f k8s/
"""
GITLAB_ECS = """deploy:
  stage: deploy
  script:
    - aws --region eu-west-1 ecs update-service --cluster prod --service web --force-new-deployment
"""
JENKINS_HELM = """pipeline {
  agent any
  stages {
    stage('Deploy') { steps { sh 'helm upgrade --install web ./chart --namespace prod' } }
  }
}
"""
BUILDSPEC_SAM = """version: 0.2
phases:
  build:
    commands:
      - sam build
      - sam deploy --no-confirm-changeset --no-fail-on-empty-changeset
"""
CIRCLE_EKS = """version: 2.1
orbs:
  aws-eks: circleci/aws-eks@2.2.0
workflows:
  deploy:
    jobs: [aws-eks/update-container-image]
"""
# tools are installed, listed and linted, nothing is deployed
GHA_NO_DEPLOY = """on: push
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: pip install awscli && aws --version
      - run: kubectl version --client
      - run: helm lint ./chart
      - run: aws eks list-clusters
      - run: aws lambda invoke --function-name smoke out.json
      - run: aws ecs describe-services --cluster prod --services web
"""

CDK_TS_NAMED = """import { Stack } from 'aws-cdk-lib';
import { Instance, InstanceType, MachineImage, Vpc } from 'aws-cdk-lib/aws-ec2';
import { CfnApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { CfnApp } from 'aws-cdk-lib/aws-amplify';
export class Named extends Stack {
  constructor(scope: any, id: string) {
    super(scope, id);
    new Instance(this, 'Web', { instanceType: new InstanceType('t3.micro'), machineImage: MachineImage.latestAmazonLinux2023(),
      vpc: new Vpc(this, 'Vpc') });
    new CfnApi(this, 'Ws', { name: 'ws', protocolType: 'WEBSOCKET', routeSelectionExpression: '$request.body.action' });
    new CfnApp(this, 'Site', { name: 'site' });
  }
}
"""
CDK_TS_DATA_UPLOAD = """import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
const data = new s3.Bucket(this, 'Data');
new s3deploy.BucketDeployment(this, 'Seed', { sources: [s3deploy.Source.asset('./seed')], destinationBucket: data });
"""
CDK_TS_SITE = CDK_TS_DATA_UPLOAD.replace("const data", "import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';\n"
                                         "const dist = new cloudfront.Distribution(this, 'Cdn', {});\nconst data")

CASES = {
    "cdk-typescript-lambda-restapi": (
        {"cdk.json": CDK_JSON, "bin/app.ts": "import { ApiStack } from '../lib/api-stack';\n",
         "lib/api-stack.ts": CDK_TS, "lambda/index.ts": HANDLER_TS, "package.json": "{}"},
        {"deploy_targets": ["api-gateway", "lambda"], "iac_tools": ["cdk"], "languages": ["typescript"]}),
    "cdk-typescript-handler-only": (
        {"cdk.json": CDK_JSON, "lambda/index.ts": HANDLER_TS, "package.json": "{}"},
        {"deploy_targets": [], "iac_tools": ["cdk"]}),
    "cdk-python-fargate-and-function": (
        {"cdk.json": '{"app": "python3 app.py"}', "app.py": "import aws_cdk as cdk\n", "web/stack.py": CDK_PY,
         "requirements.txt": "aws-cdk-lib\n"},
        {"deploy_targets": ["ecs", "lambda"], "languages": ["python"]}),
    "cdk-python-existing-function-is-not-deployed": (
        {"cdk.json": '{"app": "python3 app.py"}', "app.py": CDK_PY_IMPORTED_ONLY, "requirements.txt": ""},
        {"deploy_targets": []}),
    "cdk-go-fargate-and-eks": (
        {"infra/cdk.json": '{"app": "go mod download && go run infra.go"}', "infra/go.mod": "module infra\n",
         "infra/infra.go": CDK_GO},
        {"deploy_targets": ["ecs", "eks", "kubernetes"], "languages": ["go"]}),
    "cdk-java-pipeline": (
        {"cdk.json": '{"app": "mvn -e -q compile exec:java"}', "pom.xml": "<project/>",
         "src/main/java/com/myorg/AppStack.java": CDK_JAVA},
        {"deploy_targets": ["api-gateway", "lambda"], "ci_systems": ["codebuild", "codepipeline"],
         "languages": ["java"]}),
    "cdk-csharp-fargate": (
        {"cdk.json": '{"app": "dotnet run --project src/Infra/Infra.csproj"}', "src/Infra/Infra.csproj": "",
         "src/Infra/WebStack.cs": CDK_CS},
        {"deploy_targets": ["ecs"], "languages": ["csharp"]}),
    "cdk-typescript-named-imports": (
        {"cdk.json": CDK_JSON, "lib/named.ts": CDK_TS_NAMED, "package.json": "{}"},
        {"deploy_targets": ["amplify-hosting", "api-gateway", "ec2"]}),
    "cdk-bucket-deployment-of-data-is-not-a-site": (
        {"cdk.json": CDK_JSON, "lib/data.ts": CDK_TS_DATA_UPLOAD}, {"deploy_targets": []}),
    "cdk-bucket-deployment-behind-cloudfront-is-a-site": (
        {"cdk.json": CDK_JSON, "lib/site.ts": CDK_TS_SITE}, {"deploy_targets": ["s3-static"]}),
    "java-package-named-example-is-java": (
        {"pom.xml": "<project/>", "src/main/java/com/example/demo/DemoApplication.java": "",
         "src/test/java/com/example/demo/DemoApplicationTests.java": "", "examples/Other.java": ""},
        {"languages": ["java"]}),
    "cdk-words-without-cdk-import": (
        {"cdk.json": CDK_JSON, "lib/notes.ts": "// TODO: move to a FargateService behind a RestApi\n"
                                                "export const plan = 'new ecs.FargateService';\n"},
        {"deploy_targets": []}),
    "pulumi-typescript-fargate-and-function": (
        {"Pulumi.yaml": "name: web\nruntime: nodejs\n", "index.ts": PULUMI_TS, "package.json": "{}"},
        {"deploy_targets": ["ecs", "lambda"], "iac_tools": ["pulumi"], "languages": ["typescript"]}),
    "pulumi-python-service-and-http-api": (
        {"infra/Pulumi.yaml": "name: web\nruntime: python\n", "infra/__main__.py": PULUMI_PY,
         "infra/requirements.txt": "pulumi-aws\n"},
        {"deploy_targets": ["api-gateway", "ecs"], "iac_tools": ["pulumi"]}),
    "pulumi-go-service": (
        {"Pulumi.yaml": "name: web\nruntime: go\n", "main.go": PULUMI_GO, "go.mod": "module web\n"},
        {"deploy_targets": ["ecs"], "languages": ["go"]}),
    "pulumi-yaml-program": (
        {"Pulumi.yaml": PULUMI_YAML},
        {"deploy_targets": ["api-gateway", "lambda"], "iac_tools": ["pulumi"]}),
    "pulumi-cluster-only-is-not-a-service": (
        {"Pulumi.yaml": "name: net\nruntime: nodejs\n", "package.json": "{}",
         "index.ts": 'import * as aws from "@pulumi/aws";\nconst c = new aws.ecs.Cluster("c");\n'
                     'const vpc = new aws.ec2.Vpc("v", {cidrBlock: "10.0.0.0/16"});\n'},
        {"deploy_targets": []}),
    "serverless-functions-in-included-file": (
        {"serverless.yml": SLS_SPLIT, "functions.yml": SLS_FUNCTIONS, "src/create.js": "", "package.json": "{}"},
        {"deploy_targets": ["api-gateway", "lambda"], "iac_tools": ["serverless-framework"]}),
    "serverless-typescript-service-file": (
        {"serverless.ts": SLS_TS, "src/hello.ts": "export const main = async () => ({});\n",
         "package.json": "{}"},
        {"deploy_targets": ["api-gateway", "lambda"], "languages": ["typescript"]}),
    "serverless-typescript-template-function-config": (
        {"serverless.ts": SLS_TS_TEMPLATE, "src/functions/hello/index.ts": SLS_TS_FUNCTION,
         "src/functions/hello/handler.ts": "export const main = async () => ({});\n", "package.json": "{}"},
        {"deploy_targets": ["api-gateway", "lambda"]}),
    "function-config-without-serverless-is-nothing": (
        {"src/functions/hello/index.ts": SLS_TS_FUNCTION, "package.json": "{}"}, {"deploy_targets": []}),
    "serverless-flow-style-http-event": (
        {"serverless.yml": SLS_FLOW}, {"deploy_targets": ["api-gateway", "lambda"]}),
    "serverless-queue-events-only": (
        {"serverless.yml": SLS_QUEUE_ONLY, "h.py": "", "requirements.txt": ""},
        {"deploy_targets": ["lambda"]}),
    "ci-eks-kubeconfig-with-options-and-kubectl": (
        {".github/workflows/deploy.yml": GHA_EKS, "k8s/.keep": ""},
        {"deploy_targets": ["eks", "kubernetes"], "ci_systems": ["github-actions"]}),
    "ci-ecs-update-service-after-global-option": (
        {".gitlab-ci.yml": GITLAB_ECS}, {"deploy_targets": ["ecs"], "ci_systems": ["gitlab-ci"]}),
    "ci-helm-is-kubernetes-not-eks": (
        {"Jenkinsfile": JENKINS_HELM}, {"deploy_targets": ["kubernetes"], "ci_systems": ["jenkins"]}),
    "ci-sam-deploy-in-buildspec": (
        {"buildspec.yml": BUILDSPEC_SAM}, {"deploy_targets": ["lambda"], "ci_systems": ["codebuild"]}),
    "ci-circleci-eks-orb": (
        {".circleci/config.yml": CIRCLE_EKS}, {"deploy_targets": ["eks", "kubernetes"], "ci_systems": ["circleci"]}),
    "ci-installs-lists-and-lints-only": (
        {".github/workflows/check.yml": GHA_NO_DEPLOY}, {"deploy_targets": []}),
    "js-config-files-only-are-not-javascript": (
        {"app/main.py": "", "app/models.py": "", "requirements.txt": "", "package.json": '{"devDependencies": {}}',
         ".eslintrc.js": "", "prettier.config.js": "", "jest.config.js": "", "jest.setup.ts": "",
         "eslint.config.mjs": "", "commitlint.config.js": "", "gulpfile.babel.js": "", "Gruntfile.js": "",
         "dangerfile.ts": "", "webpack.prod.js": "", "serverless.js": "module.exports = {}\n"},
        {"languages": ["python"]}),
    "js-source-beside-config-is-javascript": (
        {"app/main.py": "", "app/models.py": "", "requirements.txt": "", "package.json": "{}",
         "jest.config.js": "", "web/index.js": "", "web/api.js": ""},
        {"languages": ["javascript", "python"]}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_probe(name, repo_factory):
    files, expected = CASES[name]
    found = detect_path(repo_factory(files))
    for family, values in expected.items():
        assert found[family] == sorted(values), (family, found)


def test_program_evidence_names_the_construct_file(repo_factory):
    found = detect_path(repo_factory(CASES["cdk-typescript-lambda-restapi"][0]))
    assert found["evidence"]["deploy_targets:lambda"] == ["lib/api-stack.ts"]
    assert found["evidence"]["deploy_targets:api-gateway"] == ["lib/api-stack.ts"]


def test_program_reads_are_bounded(repo_factory, monkeypatch):
    """A huge stack file is not read (noted too-large); past the file cap, program files are not read."""
    files = {"cdk.json": CDK_JSON, "package.json": "{}",
             "lib/huge.ts": CDK_TS + "//" + "x" * (D.MAX_FILE_BYTES + 10) + "\n"}
    files.update({f"lib/gen/m{i:02}.ts": "export const x = 1;\n" for i in range(12)})
    files["lib/gen/zz/deep/api-stack.ts"] = CDK_TS  # the deepest file sorts last
    root = repo_factory(files)
    monkeypatch.setattr(D, "MAX_PROGRAM_FILES", 10)
    tree = LocalTree(root)
    read: list[str] = []

    def reader(paths):
        read.extend(paths)
        return tree.read(paths)

    det = D.detect(tree.entries(), reader)
    assert "lib/huge.ts" not in read and D.Note("lib/huge.ts", "too-large") in det.notes
    assert "lib/gen/zz/deep/api-stack.ts" not in read
    assert ("deploy_targets", "lambda") not in det.traits
    monkeypatch.setattr(D, "MAX_PROGRAM_FILES", 200)
    assert ("deploy_targets", "lambda") in D.detect(tree.entries(), tree.read).traits


def test_stack_files_are_read_first_when_a_program_has_more_files_than_the_cap(repo_factory, monkeypatch):
    files = {"cdk.json": '{"app": "mvn -e -q compile exec:java"}', "pom.xml": "<project/>",
             "src/main/java/com/myorg/AppStack.java": CDK_JAVA}
    files.update({f"web/v{i:02}.ts": "export const v = 1;\n" for i in range(12)})  # shallower app code
    monkeypatch.setattr(D, "MAX_PROGRAM_FILES", 10)
    found = detect_path(repo_factory(files))
    assert found["ci_systems"] == ["codebuild", "codepipeline"]
