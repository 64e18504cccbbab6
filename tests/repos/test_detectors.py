"""Detector rules on small real repositories (one git repo per case, built in a temp dir)."""

from __future__ import annotations

import pytest

from audit.repos import rules as R
from audit.repos.scan import detect_path
from audit.store.schema import TRAIT_FAMILIES

SAM = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Events:
        Get:
          Type: Api
          Properties: {Path: /, Method: get}
"""
CFN = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Service:
    Type: AWS::ECS::Service
  Build:
    Type: AWS::CodeBuild::Project
  Site:
    Type: AWS::S3::Bucket
    Properties:
      WebsiteConfiguration: {IndexDocument: index.html}
"""
TF = """resource "aws_lambda_function" "fn" {
  function_name = "x"
}
resource "aws_codepipeline" "p" {}
module "eks" {
  source = "terraform-aws-modules/eks/aws"
}
"""
K8S = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
"""
WORKFLOW_ECS = """on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t app .
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1
"""
CDK_TS = """import * as ecs_patterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as pipelines from 'aws-cdk-lib/pipelines';
new ecs_patterns.ApplicationLoadBalancedFargateService(this, 'Svc', {});
new pipelines.CodePipeline(this, 'Pipeline', { synth: new pipelines.ShellStep('Synth', {}) });
"""
CDK_GO = """package main
import "github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
func main() { awslambda.NewDockerImageFunction(stack, jsii.String("Fn"), nil) }
"""

CASES = {
    "node-npm-github": ({"package.json": '{"name": "a"}', "package-lock.json": "{}", "src/index.js": "x",
                         "src/util.js": "y", ".github/workflows/ci.yml": "on: push\n"},
                        {"languages": ["javascript"], "build_tools": ["npm"], "ci_systems": ["github-actions"]}),
    "yarn-typescript": ({"package.json": "{}", "yarn.lock": "", "src/a.ts": "", "src/b.tsx": "",
                         "jest.config.js": "", "tsconfig.json": "{}"},
                        {"languages": ["typescript"], "build_tools": ["yarn"]}),
    "pnpm-packagemanager": ({"package.json": '{"packageManager": "pnpm@9.0.0"}', "index.js": ""},
                            {"build_tools": ["pnpm"], "languages": ["javascript"]}),
    "python-poetry-gitlab": ({"pyproject.toml": "[tool.poetry]\nname='x'\n", "poetry.lock": "",
                              "app/__init__.py": "", "app/main.py": "", ".gitlab-ci.yml": "test: {}\n",
                              "scripts/deploy-it.py": ""},
                             {"languages": ["python"], "build_tools": ["poetry"], "ci_systems": ["gitlab-ci"]}),
    "java-gradle-jenkins": ({"build.gradle.kts": "", "gradlew": "", "src/main/kotlin/App.kt": "",
                             "src/main/java/A.java": "", "ci/Jenkinsfile": "pipeline {}"},
                            {"languages": ["java", "kotlin"], "build_tools": ["gradle"], "ci_systems": ["jenkins"]}),
    "sam-api": ({"template.yaml": SAM, "src/app.py": "", "requirements.txt": "", "samconfig.toml": ""},
                {"iac_tools": ["sam"], "deploy_targets": ["api-gateway", "lambda"], "languages": ["python"]}),
    "cloudformation-ecs": ({"infra/stack.yml": CFN, "buildspec.yml": "artifacts:\n  type: zip\n  files: ['**/*']\n"},
                           {"iac_tools": ["cloudformation"], "ci_systems": ["codebuild"],
                            "deploy_targets": ["ecs", "s3-static"], "packaging": ["zip-artifact"]}),
    "terraform": ({"infra/main.tf": TF, "infra/variables.tf": ""},
                  {"iac_tools": ["terraform"], "ci_systems": ["codepipeline"],
                   "deploy_targets": ["eks", "kubernetes", "lambda"]}),
    "k8s-helm-kustomize": ({"chart/Chart.yaml": "apiVersion: v2\nname: web\n",
                            "chart/templates/deploy.yaml": "apiVersion: apps/v1\nkind: {{ .Values.kind }}\n",
                            "overlays/prod/kustomization.yaml": "resources: [../../k8s]\n",
                            "k8s/deployment.yaml": K8S},
                           {"iac_tools": ["helm", "kubernetes-manifests", "kustomize"],
                            "deploy_targets": ["kubernetes"]}),
    "serverless-framework": ({"serverless.yml": "service: x\nprovider:\n  name: aws\nfunctions:\n  hello:\n"
                                                "    handler: h.run\n    events:\n      - httpApi: GET /\n",
                              "handler.js": "", "package.json": "{}"},
                             {"iac_tools": ["serverless-framework"], "deploy_targets": ["api-gateway", "lambda"]}),
    "ecs-workflow-docker": ({".github/workflows/deploy.yml": WORKFLOW_ECS, "Dockerfile": "FROM python:3.12\n",
                             "docker-compose.yml": "services: {}\n", "task-definition.json":
                             '{"family": "web", "containerDefinitions": []}'},
                            {"packaging": ["docker", "docker-compose"], "deploy_targets": ["ecs"],
                             "ci_systems": ["github-actions"]}),
    "cdk-typescript-program": ({"cdk.json": '{"app": "npx ts-node bin/app.ts"}', "bin/app.ts": "",
                                "lib/stack.ts": CDK_TS, "package.json": "{}", "package-lock.json": "{}"},
                               {"iac_tools": ["cdk"], "ci_systems": ["codebuild", "codepipeline"],
                                "deploy_targets": ["ecs"], "languages": ["typescript"]}),
    "cdk-go-program": ({"infra/cdk.json": '{"app": "go mod download && go run infra.go"}', "infra/go.mod": "",
                        "infra/infra.go": CDK_GO},
                       {"iac_tools": ["cdk"], "deploy_targets": ["lambda"], "languages": ["go"]}),
    "codedeploy-ec2-zip": ({"appspec.yml": "version: 0.0\nos: linux\nfiles: []\n", "dist/rev.zip": b"PK\x03\x04",
                            "index.html": "<html/>"},
                           {"deploy_targets": ["codedeploy", "ec2"], "packaging": ["zip-artifact"],
                            "languages": []}),
    "heroku": ({"Procfile": "web: gunicorn app:app", "app.json": '{"name": "x"}', "app.py": "",
                "requirements.txt": ""}, {"deploy_targets": ["heroku"], "build_tools": ["pip"]}),
    "beanstalk-procfile-not-heroku": ({"Procfile": "web: x", "app.json": "{}", ".ebextensions/01.config": ""},
                                      {"deploy_targets": ["elastic-beanstalk"]}),
    "copilot": ({"copilot/.workspace": "application: a\n",
                 "copilot/api/manifest.yml": "name: api\ntype: Load Balanced Web Service\n",
                 "copilot/pipelines/main/manifest.yml": "name: main\n",
                 "copilot/api/addons/db.yml": "Parameters:\n  App: {Type: String}\nResources:\n  T:\n"
                                              "    Type: AWS::DynamoDB::Table\n"},
                {"iac_tools": ["cloudformation", "copilot"], "deploy_targets": ["ecs"],
                 "ci_systems": ["codepipeline"]}),
    "amplify-pulumi-apprunner": ({"amplify.yml": "version: 1\n", "amplify/backend.ts": "defineBackend({})",
                                  "Pulumi.yaml": "name: x\nruntime: nodejs\n", "apprunner.yaml": "version: 1.0\n"},
                                 {"iac_tools": ["amplify", "pulumi"],
                                  "deploy_targets": ["amplify-hosting", "app-runner"]}),
    "ansible-circleci-make": ({"site.yml": "- hosts: web\n  become: true\n  roles:\n    - app\n",
                               "roles/app/tasks/main.yml": "- name: x\n  apt: {name: nginx}\n",
                               ".circleci/config.yml": "version: 2.1\n", "Makefile": "all:\n",
                               "docs/Makefile": "html:\n"},
                              {"iac_tools": ["ansible"], "ci_systems": ["circleci"], "build_tools": ["make"]}),
    "other-ci-systems": ({".travis.yml": "", "bitbucket-pipelines.yml": "", "azure-pipelines.yml": "",
                          ".drone.yml": "", ".buildkite/pipeline.yml": "", "Cargo.toml": "", "src/main.rs": "",
                          "go.mod": "", "main.go": "", "Gemfile": "", "app.rb": "", "lib/x.rb": "",
                          "composer.json": "{}", "index.php": "", "build.sbt": "", "src/A.scala": "",
                          "A.csproj": "", "Program.cs": "", "Pipfile": "", "uv.lock": "", "pom.xml": ""},
                         {"ci_systems": ["azure-pipelines", "bitbucket-pipelines", "buildkite", "drone", "travis"],
                          "build_tools": ["bundler", "cargo", "composer", "dotnet", "go-modules", "maven",
                                          "pipenv", "sbt", "uv"],
                          "languages": ["csharp", "go", "php", "ruby", "rust", "scala"]}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rules_on_real_repositories(name, repo_factory):
    files, expected = CASES[name]
    found = detect_path(repo_factory(files))
    for family, values in expected.items():
        assert found[family] == sorted(values), (family, found)
    for key, paths in found["evidence"].items():
        assert paths and all(isinstance(p, str) for p in paths), key


def test_exclusions_vendored_docs_fixtures_and_helper_scripts(repo_factory):
    found = detect_path(repo_factory({
        "src/app.go": "", "go.mod": "",
        "node_modules/x/package.json": "{}", "node_modules/x/index.js": "",
        "website/src/page.tsx": "", "docs/conf.py": "", "docs/ext.py": "",
        "static/vendor/jquery.min.js": "", "tests/fixtures/yarn.lock": "",
        "tests/fixtures/Dockerfile": "", "deploy-helper.py": "", ".devcontainer/Dockerfile": "",
    }))
    assert found["languages"] == ["go"]
    assert found["build_tools"] == ["go-modules"]
    assert found["packaging"] == []


def test_npm_not_claimed_by_pnpm_workspace_and_yarn_plus_ci_npm(repo_factory):
    found = detect_path(repo_factory({"website/package.json": "{}", "website/pnpm-lock.yaml": "",
                                      "a.cs": "", "b.cs": ""}))
    assert found["build_tools"] == ["pnpm"]
    found = detect_path(repo_factory({"package.json": "{}", "yarn.lock": "",
                                      ".github/workflows/ci.yml": "steps:\n  - run: npm install\n"}))
    assert found["build_tools"] == ["npm", "yarn"]


def test_sam_template_is_not_also_plain_cloudformation(repo_factory):
    found = detect_path(repo_factory({"template.yaml": SAM}))
    assert found["iac_tools"] == ["sam"]


def test_rule_table_uses_only_the_vocabulary():
    assert tuple(R.VOCABULARY) == TRAIT_FAMILIES
    for rule in R.RULES:
        assert rule.value in R.VOCABULARY[rule.family], rule
    for family, value, _ in R.PROGRAM_RULES:
        assert value in R.VOCABULARY[family]
    assert set(R.EXTENSIONS.values()) <= set(R.VOCABULARY["languages"])


def test_support_infrastructure_and_tool_installs_are_not_traits(repo_factory):
    found = detect_path(repo_factory({
        "infra/bastion.yml": "Resources:\n  BastionHost:\n    Type: AWS::EC2::Instance\n",
        "infra/bastion.tf": 'resource "aws_instance" "bastion" {}\n',
        ".github/workflows/ci.yml": "steps:\n  - run: npm install -g aws-cdk\n"
                                    "  - run: aws s3 sync ./templates s3://bucket/templates\n",
        "package.json": "{}", "yarn.lock": "",
        "static/js/jquery-3.7.1.js": "", "static/js/bootstrap.js": "", "app.py": "", "lib.py": ""}))
    assert "ec2" not in found["deploy_targets"] and "s3-static" not in found["deploy_targets"]
    assert found["build_tools"] == ["yarn"]
    assert found["languages"] == ["python"]
    found = detect_path(repo_factory({
        "infra/web.yml": "Resources:\n  WebServer:\n    Type: AWS::EC2::Instance\n",
        ".github/workflows/site.yml": "steps:\n  - run: aws s3 sync build/ s3://site --delete\n"}))
    assert found["deploy_targets"] == ["ec2", "s3-static"]


def test_api_gateway_from_openapi_chalice_and_helmfile(repo_factory):
    found = detect_path(repo_factory({
        "api/openapi.yaml": "openapi: 3.0.1\npaths:\n  /:\n    get:\n      x-amazon-apigateway-integration:\n"
                            "        type: aws_proxy\n",
        ".chalice/config.json": '{"version": "2.0", "app_name": "x"}', "app.py": "", "requirements.txt": "",
        "helmfile.yaml": "releases:\n  - name: web\n    chart: bitnami/nginx\n"}))
    assert found["deploy_targets"] == ["api-gateway", "kubernetes", "lambda"]
    assert found["iac_tools"] == ["helm"]
    found = detect_path(repo_factory({"zappa_settings.json": '{"dev": {"apigateway_enabled": false}}',
                                      ".github/workflows/d.yml": "steps:\n  - run: aws s3 sync . s3://b --delete\n"}))
    assert found["deploy_targets"] == ["lambda", "s3-static"]
