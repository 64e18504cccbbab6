"""The detection rule table: trait value <- path pattern (+ optional bounded content probe).

Data, not if-chains. Each `Rule` says: a file whose repo-relative path matches `path` (a regex,
searched against the whole path) proves `family:value`, provided the first `probe_kb` KB of its
text match `probe` (when given) and do not match `probe_not`. `requires`/`unless` look at the
*other* paths of the repository (e.g. Heroku needs a Procfile *and* app.json, but not when
Elastic Beanstalk config is present). Rules were written from each tool's documentation; the
vocabulary is the corpus one (docs/scanner.md).

Only a few things are code in detectors.py: which package manager owns a package.json
(nearest lockfile), language counting, and the implied pairs (eks => kubernetes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# One vocabulary per family of store.schema.TRAIT_FAMILIES (same order; tests/repos check it).
VOCABULARY: dict[str, tuple[str, ...]] = {
    "languages": ("python", "javascript", "typescript", "java", "kotlin", "go", "csharp", "ruby", "php",
                  "rust", "scala"),
    "build_tools": ("npm", "yarn", "pnpm", "pip", "poetry", "pipenv", "uv", "maven", "gradle", "go-modules",
                    "dotnet", "bundler", "composer", "cargo", "sbt", "make"),
    "ci_systems": ("github-actions", "gitlab-ci", "jenkins", "codebuild", "codepipeline", "bitbucket-pipelines",
                   "circleci", "travis", "azure-pipelines", "drone", "buildkite"),
    "iac_tools": ("cloudformation", "sam", "cdk", "terraform", "serverless-framework", "pulumi", "helm",
                  "kustomize", "kubernetes-manifests", "ansible", "copilot", "amplify"),
    "packaging": ("docker", "docker-compose", "zip-artifact"),
    "deploy_targets": ("ecs", "eks", "lambda", "elastic-beanstalk", "ec2", "s3-static", "codedeploy",
                       "kubernetes", "app-runner", "amplify-hosting", "api-gateway", "lightsail", "heroku",
                       "other"),
}

# Paths that are never the project's own build/deploy setup: dependencies, vendored code, test
# fixtures and generated output.
IGNORED = re.compile(
    r"(^|/)(node_modules|bower_components|vendor|third[_-]party|\.venv|venv|site-packages|Pods|"
    r"fixtures?|__fixtures__|testdata|test[_-]?data|__snapshots__|cdk\.out|\.terraform|\.serverless|"
    r"\.aws-sam|\.git)/")
# Directories whose programs are documentation sites or examples, not the project's languages.
# JVM sources live in package directories (`src/main/java/com/example/`): only the part of a path
# before such a source root is checked against NOT_LANGUAGE_DIRS.
JVM_SOURCE_ROOT = re.compile(r"(^|/)src/(main|test)/(java|kotlin|scala)/")
NOT_LANGUAGE_DIRS = re.compile(
    r"(^|/)(docs?|documentation|website|site|_site|examples?|samples?|demos?|scripts|hack|"
    r"\.[^/]+)/")

# ---- file groups used by several rules -----------------------------------------------------------
WORKFLOW = r"^\.github/workflows/[^/]+\.ya?ml$"
CI_FILES = (r"(^\.github/workflows/[^/]+\.ya?ml$|(^|/)\.gitlab-ci\.ya?ml$|(^|/)Jenkinsfile[^/]*$|"
            r"(^|/)buildspec[^/]*\.ya?ml$|^\.circleci/config\.ya?ml$|^\.travis\.ya?ml$|"
            r"(^|/)azure-pipelines[^/]*\.ya?ml$|^\.azure-pipelines/.*\.ya?ml$|^bitbucket-pipelines\.ya?ml$|"
            r"^\.drone\.ya?ml$|^\.buildkite/.*\.ya?ml$)")
SCRIPTS = r"(\.(sh|bash|ps1)$|(^|/)(GNU)?[Mm]akefile$|(^|/)[^/]*deploy[^/]*\.(py|js|ts)$)"
CI_OR_SCRIPTS = f"({CI_FILES}|{SCRIPTS})"
YAML_JSON = r"\.(ya?ml|json|template)$"
CFN_CANDIDATES = r"\.(ya?ml|json|template|cfn|yaml\.template)$"
TF = r"\.tf$"
# A CloudFormation template: the format version, or a Resources section declaring AWS:: types.
CFN_PROBE = (r"AWSTemplateFormatVersion|^\s*-?\s*[\"']?Type[\"']?\s*:\s*[\"']?AWS::\w+::\w+")
SAM_PROBE = r"AWS::Serverless-2016-10-31"
# Cheap first test before the resource-type probes: a template names AWS:: types somewhere.
CFN_GATE = r"AWS::\w+::\w+"
CFN_NOT_TEMPLATE = r"(^|/)(serverless\.ya?ml|appspec\.ya?ml|package(-lock)?\.json|tsconfig[^/]*\.json|[^/]*lock[^/]*)$"


def aws_cli(service: str, operations: str) -> str:
    """`aws <service> <operation>` with up to six global options or values anywhere in between."""
    return rf"aws\s+(\S+\s+){{0,6}}?{service}\s+(\S+\s+){{0,6}}?({operations})\b"  # a literal first: fast


# Serverless Framework `http` (REST API) and `httpApi` (HTTP API) events, in YAML and in code.
SLS_HTTP_YAML = r"^\s*-\s*\{?\s*[\"']?(http|httpApi)[\"']?\s*:"
SLS_HTTP_CODE = r"(^|[{,])\s*[\"']?(http|httpApi)[\"']?\s*:\s*[{\"'`]"
# Pulumi resource type tokens (`aws:ecs:Service`, `aws:ecs/service:Service`, `awsx:ecs:FargateService`).
PULUMI_TYPES = [
    ("ecs", r"awsx?:ecs(/\w+)?:(Service|FargateService|EC2Service|TaskDefinition|FargateTaskDefinition)\b"),
    ("lambda", r"aws:lambda(/\w+)?:(Function|CallbackFunction)\b"),
    ("api-gateway", r"awsx?:apigateway(v2)?(/\w+)?:(RestApi|Api|API)\b"),
    ("eks", r"(aws:eks(/\w+)?:Cluster|eks:index:Cluster)\b"),
    ("kubernetes", r"(aws:eks(/\w+)?:Cluster|eks:index:Cluster|kubernetes:[\w.]+/v\w+:\w+|kubernetes:helm\.sh/)"),
    ("ec2", r"aws:(ec2(/\w+)?:Instance|autoscaling(/\w+)?:Group)\b"),
    ("app-runner", r"aws:apprunner(/\w+)?:Service\b"),
    ("elastic-beanstalk", r"aws:elasticbeanstalk(/\w+)?:Environment\b"),
    ("amplify-hosting", r"aws:amplify(/\w+)?:App\b"),
    ("lightsail", r"aws:lightsail(/\w+)?:(Instance|ContainerService)\b"),
]
PULUMI_CI_TYPES = [("codebuild", r"aws:codebuild(/\w+)?:Project\b"),
                   ("codepipeline", r"aws:codepipeline(/\w+)?:Pipeline\b")]


@dataclass(frozen=True)
class Rule:
    """family:value is proven by a file matching `path` (and `probe`, within `probe_kb` KB)."""

    family: str
    value: str
    path: str
    probe: str | tuple[str, ...] | None = None  # every regex must match
    probe_not: str | None = None
    requires: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    skip: str | None = None  # paths this rule ignores even if `path` matches
    probe_kb: int = 64

    @property
    def probes(self) -> tuple[str, ...]:
        if self.probe is None:
            return ()
        return (self.probe,) if isinstance(self.probe, str) else self.probe


def r(family: str, value: str, path: str, probe: str | tuple[str, ...] | None = None, **kw) -> Rule:
    return Rule(family, value, path, probe, **kw)


# ---- the table -----------------------------------------------------------------------------------
RULES: list[Rule] = [
    # build tools (npm/yarn/pnpm ownership of package.json is resolved in detectors.py)
    r("build_tools", "yarn", r"(^|/)(yarn\.lock|\.yarnrc\.yml)$"),
    r("build_tools", "yarn", r"(^|/)package\.json$", r"\"packageManager\"\s*:\s*\"yarn@"),
    r("build_tools", "pnpm", r"(^|/)pnpm-(lock|workspace)\.yaml$"),
    r("build_tools", "pnpm", r"(^|/)package\.json$", r"\"packageManager\"\s*:\s*\"pnpm@"),
    r("build_tools", "npm", CI_FILES, r"\bnpm\s+(ci|install|i|run|test)\b(?!\s+(-g|--global)\b)",
      requires=(r"(^|/)package\.json$",)),
    r("build_tools", "pip", r"(^|/)requirements[^/]*\.(txt|in)$"),
    r("build_tools", "pip", r"(^|/)requirements/[^/]+\.(txt|in)$"),
    r("build_tools", "poetry", r"(^|/)poetry\.lock$"),
    r("build_tools", "poetry", r"(^|/)pyproject\.toml$", r"^\[tool\.poetry\]|poetry\.core\.masonry"),
    r("build_tools", "uv", r"(^|/)pyproject\.toml$", r"^\[tool\.uv\]"),
    r("build_tools", "pipenv", r"(^|/)Pipfile(\.lock)?$"),
    r("build_tools", "uv", r"(^|/)uv\.lock$"),
    r("build_tools", "maven", r"(^|/)pom\.xml$"),
    r("build_tools", "maven", r"(^|/)mvnw$"),
    r("build_tools", "gradle", r"(^|/)(build|settings)\.gradle(\.kts)?$"),
    r("build_tools", "gradle", r"(^|/)gradlew$"),
    r("build_tools", "go-modules", r"(^|/)go\.(mod|sum)$"),
    r("build_tools", "dotnet", r"\.(csproj|fsproj|vbproj|sln|slnx)$"),
    r("build_tools", "dotnet", r"(^|/)global\.json$", r"\"sdk\"", requires=(r"\.(csproj|fsproj|sln|slnx)$",)),
    r("build_tools", "bundler", r"(^|/)Gemfile(\.lock)?$"),
    r("build_tools", "composer", r"(^|/)composer\.(json|lock)$"),
    r("build_tools", "cargo", r"(^|/)Cargo\.(toml|lock)$"),
    r("build_tools", "sbt", r"(^|/)build\.sbt$"),
    r("build_tools", "make", r"^(GNUmakefile|[Mm]akefile)$"),
    # CI systems
    r("ci_systems", "github-actions", WORKFLOW),
    r("ci_systems", "gitlab-ci", r"(^|/)\.gitlab-ci\.ya?ml$"),
    r("ci_systems", "jenkins", r"(^|/)(Jenkinsfile[^/]*|[^/]+\.[Jj]enkinsfile)$"),
    r("ci_systems", "bitbucket-pipelines", r"^bitbucket-pipelines\.ya?ml$"),
    r("ci_systems", "circleci", r"^\.circleci/config\.ya?ml$"),
    r("ci_systems", "travis", r"^\.travis\.ya?ml$"),
    r("ci_systems", "azure-pipelines", r"(^|/)azure-pipelines[^/]*\.ya?ml$"),
    r("ci_systems", "azure-pipelines", r"^\.azure-pipelines/.*\.ya?ml$"),
    r("ci_systems", "drone", r"^\.drone\.(ya?ml|jsonnet|star)$"),
    r("ci_systems", "buildkite", r"^(\.buildkite/[^/]+\.(ya?ml|json|sh)|buildkite\.ya?ml)$"),
    r("ci_systems", "codebuild", r"(^|/)buildspec[^/]*\.ya?ml$"),
    r("ci_systems", "codebuild", CFN_CANDIDATES, r"AWS::CodeBuild::Project", skip=CFN_NOT_TEMPLATE),
    r("ci_systems", "codebuild", TF, r"resource\s+\"aws_codebuild_project\""),
    r("ci_systems", "codepipeline", CFN_CANDIDATES, r"AWS::CodePipeline::Pipeline", skip=CFN_NOT_TEMPLATE),
    r("ci_systems", "codepipeline", TF, r"resource\s+\"aws_codepipeline\""),
    r("ci_systems", "codepipeline", r"^copilot/pipelines/[^/]+/manifest\.ya?ml$"),
    r("ci_systems", "codepipeline", r"^copilot/pipeline\.ya?ml$"),
    # IaC tools
    r("iac_tools", "sam", CFN_CANDIDATES, SAM_PROBE, skip=CFN_NOT_TEMPLATE),
    r("iac_tools", "sam", r"(^|/)samconfig\.(toml|ya?ml)$"),
    r("iac_tools", "cloudformation", CFN_CANDIDATES, CFN_PROBE, probe_not=SAM_PROBE,
      skip=f"({CFN_NOT_TEMPLATE}|{WORKFLOW}|(^|/)buildspec[^/]*$|(^|/)amplify/)"),
    r("iac_tools", "cdk", r"(^|/)cdk\.json$", r"\"app\"", skip=r"(^|/)amplify/"),
    r("iac_tools", "terraform", r"\.tf(\.json)?$"),
    r("iac_tools", "terraform", r"(^|/)\.terraform\.lock\.hcl$"),
    r("iac_tools", "serverless-framework", r"(^|/)serverless\.(ya?ml|ts|js|json)$"),
    r("iac_tools", "pulumi", r"(^|/)Pulumi\.ya?ml$"),
    r("iac_tools", "helm", r"(^|/)Chart\.ya?ml$", r"^\s*(apiVersion|name)\s*:"),
    r("iac_tools", "helm", r"(^|/)helmfile\.ya?ml$", r"^\s*releases\s*:"),
    r("iac_tools", "kustomize", r"(^|/)(kustomization\.ya?ml|Kustomization)$"),
    r("iac_tools", "kubernetes-manifests", r"\.(ya?ml|ya?ml\.template|ya?ml\.tpl)$",
      (r"^apiVersion:\s*[\"']?[\w.\-/]+[\"']?\s*$", r"^kind:\s*[\"']?[A-Z]\w*"),
      probe_not=(r"^apiVersion:\s*[\"']?(skaffold|backstage\.io|eksctl\.io|kind\.x-k8s\.io|[\w.]*istio\.io|"
                 r"kustomize\.config\.k8s\.io|config\.kubernetes\.io)"),
      skip=(r"(^|/)(Chart\.ya?ml|values[^/]*\.ya?ml|kustomization\.ya?ml|docker-compose[^/]*|compose[^/]*|"
            r"\.gitlab-ci\.ya?ml|[^/]*lock[^/]*)$|^\.github/|(^|/)templates/|(^|/)charts/|^copilot/")),
    r("iac_tools", "ansible", r"(^|/)roles/[^/]+/(tasks|handlers)/[^/]+\.ya?ml$"),
    r("iac_tools", "ansible", r"(^|/)ansible\.cfg$"),
    r("iac_tools", "ansible", r"\.ya?ml$",
      (r"^(-\s+|\s{2})hosts:\s*\S", r"^\s*-?\s*(tasks|roles|pre_tasks|import_tasks|import_playbook|gather_facts)\s*:"),
      skip=r"^\.github/|(^|/)(\.gitlab-ci|docker-compose|compose|\.circleci)|(^|/)(templates|charts)/"),
    r("iac_tools", "copilot", r"^copilot/(\.workspace|[^/]+/manifest\.ya?ml)$"),
    r("iac_tools", "amplify", r"(^|/)amplify/(backend\.(ts|js)|backend/backend-config\.json|"
                              r"\.config/project-config\.json|team-provider-info\.json)$"),
    # Copilot environment add-ons are CloudFormation templates
    r("iac_tools", "cloudformation", r"^copilot/[^/]+/addons/[^/]+\.ya?ml$", r"(Resources|Parameters)\s*:"),
    # packaging
    r("packaging", "docker", r"(^|/)([Dd]ockerfile([.\-][^/]*)?|[^/]+\.[Dd]ockerfile|Containerfile)$",
      skip=r"(^|/)\.devcontainer/|\.dockerignore$"),
    r("packaging", "docker", CI_FILES, r"\bdocker\s+(buildx\s+)?build\b|docker/build-push-action"),
    r("packaging", "docker-compose", r"(^|/)(docker-compose|compose)([.\-][^/]*)?\.ya?ml$"),
    r("packaging", "zip-artifact", r"\.zip$", skip=r"(^|/)(tests?|docs?|examples?|samples?)/"),
    r("packaging", "zip-artifact", CI_OR_SCRIPTS,
      r"(^|[\s;&|(`\"'])zip\s+(-[a-zA-Z0-9]+\s+)*[^\s|;&]*\.zip\b|(^|[\s;&|(`\"'])zip\s+-[a-zA-Z]*r|"
      r"git\s+archive\s+[^\n]{0,200}--format[= ]zip|Compress-Archive\b|make_archive\([^)\n]{0,200}[\"']zip[\"']"),
    r("packaging", "zip-artifact", r"(^|/)buildspec[^/]*\.ya?ml$", r"^\s*type:\s*zip\s*$"),
    r("packaging", "zip-artifact", r"(^|/)package\.json$", r"\"[^\"\n]{0,300}\bzip\s+-[a-zA-Z]*r"),
    # deploy targets: CloudFormation / SAM resource types
    *[r("deploy_targets", v, CFN_CANDIDATES, (CFN_GATE, p), skip=CFN_NOT_TEMPLATE) for v, p in [
        ("lambda", r"AWS::(Lambda::Function|Serverless::Function)\b"),
        ("api-gateway", r"AWS::(ApiGateway::RestApi|ApiGatewayV2::Api|Serverless::(Http)?Api)\b|"
                        r"^\s*Type:\s*[\"']?(Http)?Api[\"']?\s*$"),
        ("ecs", r"AWS::ECS::(Service|TaskDefinition)\b"),
        ("eks", r"AWS::EKS::(Cluster|Nodegroup)\b"),
        ("elastic-beanstalk", r"AWS::ElasticBeanstalk::(Environment|Application)\b"),
        ("ec2", r"^\s*(?![\w\"']*[Bb]astion)[\w\"']+\s*:\s*\n\s*[\"']?Type[\"']?\s*:\s*[\"']?"
                r"AWS::(EC2::Instance|AutoScaling::AutoScalingGroup)\b|"
                r"[\"'](?![\w]*[Bb]astion)\w+[\"'][\s]*:[\s]*\{[\s]*[\"']Type[\"'][\s]*:[\s]*[\"']AWS::EC2::Instance"),
        ("codedeploy", r"AWS::CodeDeploy::(DeploymentGroup|Application)\b"),
        ("app-runner", r"AWS::AppRunner::Service\b"),
        ("amplify-hosting", r"AWS::Amplify::App\b"),
        ("lightsail", r"AWS::Lightsail::(Instance|Container)\b"),
        ("s3-static", r"WebsiteConfiguration\s*:|\"WebsiteConfiguration\"\s*:"),
    ]],
    # deploy targets: Terraform resource types and registry modules
    *[r("deploy_targets", v, TF, p) for v, p in [
        ("lambda", r"resource\s+\"aws_lambda_function\"|source\s*=\s*\"terraform-aws-modules/lambda/"),
        ("api-gateway", r"resource\s+\"aws_api_?gateway(v2)?_(rest_)?api\"|"
                        r"source\s*=\s*\"terraform-aws-modules/apigateway"),
        ("ecs", r"resource\s+\"aws_ecs_(service|task_definition)\"|source\s*=\s*\"terraform-aws-modules/ecs/"),
        ("eks", r"resource\s+\"aws_eks_cluster\"|source\s*=\s*\"terraform-aws-modules/eks/"),
        ("kubernetes", r"resource\s+\"(kubernetes_[a-z_]+|helm_release)\""),
        ("elastic-beanstalk", r"resource\s+\"aws_elastic_beanstalk_environment\""),
        ("ec2", r"resource\s+\"aws_(instance|autoscaling_group)\"\s+\"(?![\w-]*bastion)|"
                r"source\s*=\s*\"terraform-aws-modules/(ec2-instance|autoscaling)/"),
        ("codedeploy", r"resource\s+\"aws_codedeploy_deployment_group\""),
        ("app-runner", r"resource\s+\"aws_apprunner_service\""),
        ("amplify-hosting", r"resource\s+\"aws_amplify_app\""),
        ("lightsail", r"resource\s+\"aws_lightsail_(instance|container_service)\""),
        ("s3-static", r"resource\s+\"aws_s3_bucket_website_configuration\"|^\s*website\s*\{"),
        ("other", r"resource\s+\"(azurerm_(linux_|windows_)?(web_app|app_service|function_app)|"
                  r"google_cloud_run_(v2_)?service|google_app_engine_[a-z_]+|heroku_app)\""),
    ]],
    # deploy targets: tool manifests
    r("deploy_targets", "lambda", r"(^|/)serverless\.ya?ml$", r"^\s*functions\s*:"),
    r("deploy_targets", "api-gateway", r"(^|/)serverless\.ya?ml$", SLS_HTTP_YAML),
    r("deploy_targets", "lambda", r"(^|/)(zappa_settings\.(json|ya?ml)|\.chalice/config\.json)$"),
    # Chalice and Zappa put an API Gateway in front of the function unless told not to
    r("deploy_targets", "api-gateway", r"(^|/)(zappa_settings\.(json|ya?ml)|\.chalice/config\.json)$",
      probe_not=r"apigateway_enabled[\"']?\s*:\s*false"),
    r("deploy_targets", "api-gateway", r"\.(ya?ml|json)$", r"x-amazon-apigateway-integration",
      skip=r"^\.github/"),
    r("deploy_targets", "s3-static", r"(^|/)serverless\.ya?ml$", r"serverless-finch|serverless-s3-sync"),
    r("deploy_targets", "kubernetes", r"(^|/)(Chart\.ya?ml|kustomization\.ya?ml)$"),
    r("deploy_targets", "eks", r"\.ya?ml$", r"^apiVersion:\s*[\"']?eksctl\.io/"),
    r("deploy_targets", "ecs", r"^copilot/[^/]+/manifest\.ya?ml$",
      r"^type:\s*[\"']?(Load Balanced Web Service|Backend Service|Worker Service|Scheduled Job)"),
    r("deploy_targets", "app-runner", r"^copilot/[^/]+/manifest\.ya?ml$",
      r"^type:\s*[\"']?Request-Driven Web Service"),
    r("deploy_targets", "app-runner", r"(^|/)apprunner\.ya?ml$"),
    r("deploy_targets", "amplify-hosting", r"(^|/)amplify\.ya?ml$"),
    r("deploy_targets", "elastic-beanstalk", r"(^|/)\.(ebextensions|elasticbeanstalk)/"),
    r("deploy_targets", "elastic-beanstalk", r"(^|/)Dockerrun\.aws\.json$"),
    r("deploy_targets", "elastic-beanstalk", r"^\.platform/(hooks|confighooks|nginx)/"),
    r("deploy_targets", "codedeploy", r"(^|/)appspec\.(ya?ml|json)$"),
    r("deploy_targets", "ec2", r"(^|/)appspec\.ya?ml$", r"^os:\s*[\"']?(linux|windows)"),
    r("deploy_targets", "ecs", r"(^|/)appspec\.ya?ml$", r"AWS::ECS::Service"),
    r("deploy_targets", "lambda", r"(^|/)appspec\.ya?ml$", r"AWS::Lambda::Function"),
    # an ECS task definition: named like one, or a JSON document whose top level has both keys
    r("deploy_targets", "ecs", r"(?i)(^|/)[^/]*task[-_.]?def[^/]*\.json$", r"\"containerDefinitions\"\s*:"),
    r("deploy_targets", "ecs", r"\.json$", (r"^\s{0,4}\"containerDefinitions\"\s*:", r"^\s{0,4}\"family\"\s*:"),
      skip=r"(^|/)(package[^/]*|[^/]*examples?[^/]*|tsconfig[^/]*)\.json$"),
    r("deploy_targets", "heroku", r"(^|/)Procfile$", requires=(r"(^|/)app\.json$",),
      unless=(r"(^|/)\.(ebextensions|elasticbeanstalk)/",)),
    r("deploy_targets", "heroku", r"(^|/)heroku\.ya?ml$"),
    r("deploy_targets", "other", r"^(fly\.toml|netlify\.toml|vercel\.json|render\.yaml|\.do/app\.ya?ml|"
                                 r"wrangler\.toml)$"),
    # deploy targets: commands and actions in CI files and deploy scripts
    *[r("deploy_targets", v, CI_OR_SCRIPTS, p) for v, p in [
        ("ecs", aws_cli("ecs", "update-service|create-service|deploy|register-task-definition|run-task") + "|"
                r"aws-actions/amazon-ecs-deploy-task-definition|\becs-cli\s|\becs-deploy\b|\becspresso\s+deploy\b|"
                r"imagedefinitions\.json|circleci/aws-ecs@"),
        ("eks", aws_cli("eks", "update-kubeconfig|create-cluster|create-nodegroup") + "|"
                r"\beksctl\s|circleci/aws-eks@|uses:\s*[\"']?[\w.-]+/[\w.-]*\beks\b[\w.-]*@"),
        ("kubernetes", r"\bkubectl\s+(\S+\s+){0,4}?(apply|create|set\s+image|rollout|replace)\b|"
                       r"\bhelm\s+(\S+\s+){0,4}?(upgrade|install)\b|\bhelmfile\s+(\S+\s+){0,4}?(apply|sync)\b|"
                       r"azure/k8s-deploy|\bskaffold\s+(run|deploy)\b|\bargocd\s+app\s+sync\b"),
        ("lambda", aws_cli("lambda", "update-function-code|publish-version|create-function") + "|"
                   r"aws-actions/aws-lambda-deploy|appleboy/lambda-action|\bsam\s+deploy\b|"
                   r"\bserverless\s+deploy\b|\bsls\s+deploy\b"),
        ("api-gateway", aws_cli("apigateway(v2)?", "create-deployment|put-rest-api|import-rest-api|import-api|"
                                                   "reimport-api|create-stage")),
        ("elastic-beanstalk", aws_cli("elasticbeanstalk", "create-application-version|update-environment|"
                                                          "create-environment") + "|"
                              r"\beb\s+(deploy|create)\b|beanstalk-deploy"),
        ("codedeploy", aws_cli("deploy", "create-deployment|push")),
        ("s3-static", r"aws\s+s3\s+sync\s+[\"']?\.?/?([\w-]+/)?(build|dist|public|out|_site|site|www|website|"
                      r"static|html)/?[\"']?\s|aws\s+s3\s+sync\s[^\n]{0,300}--delete|aws\s+s3\s+website\s|"
                      r"s3-sync-action|aws\s+cloudfront\s+create-invalidation"),
        ("app-runner", r"amazon-app-runner-deploy|" + aws_cli("apprunner", "start-deployment|update-service|"
                                                                              "create-service")),
        ("lightsail", aws_cli("lightsail", r"[a-z]+(-[a-z]+)*") + r"|client\([\"']lightsail[\"']|lightsailctl"),
        ("heroku", r"akhileshns/heroku-deploy|git\s+push\s+(https://[^\s]*heroku|heroku\b)|heroku\s+container:"),
        ("other", r"azure/webapps-deploy|AzureWebApp@|AzureRmWebAppDeployment@|AzureFunctionApp@|"
                  r"gcloud\s+(run|app)\s+deploy|google-github-actions/deploy-(cloudrun|appengine)|"
                  r"\bflyctl\s+deploy|\bvercel\s+(deploy\s+)?--prod|netlify\s+deploy"),
    ]],
    # Serverless Framework: functions and their API Gateway events in serverless.yml, in a yml file
    # it includes (`functions: ${file(...)}`), or in a serverless.ts/js service file
    r("deploy_targets", "lambda", r"(^|/)serverless\.(ts|js|json)$", r"[\"']?\bfunctions[\"']?\s*:"),
    r("deploy_targets", "api-gateway", r"(^|/)serverless\.(ts|js|json)$", SLS_HTTP_CODE),
    # the aws-nodejs-typescript template keeps each function's events in functions/<name>/index.ts
    r("deploy_targets", "api-gateway", r"(^|/)functions/([^/]+/)?index\.[cm]?[jt]s$",
      (r"^\s*events\s*:", SLS_HTTP_CODE), requires=(r"(^|/)serverless\.(ts|js)$",)),
    r("deploy_targets", "api-gateway", r"\.ya?ml$", (r"^\s*-?\s*handler\s*:", SLS_HTTP_YAML),
      requires=(r"(^|/)serverless\.(ya?ml|ts|js|json)$",), skip=f"({CI_FILES}|(^|/)serverless\\.ya?ml$)"),
    # Pulumi YAML programs declare resources by type token in Pulumi.yaml itself
    *[r("deploy_targets", v, r"(^|/)Pulumi\.ya?ml$", rf"^\s*type\s*:\s*[\"']?{t}")
      for v, t in PULUMI_TYPES],
    *[r("ci_systems", v, r"(^|/)Pulumi\.ya?ml$", rf"^\s*type\s*:\s*[\"']?{t}")
      for v, t in PULUMI_CI_TYPES],
]

# Programs that define infrastructure (CDK and Pulumi apps, in TypeScript/JavaScript, Python, Go,
# Java or C#): the source files under the directory holding cdk.json / Pulumi.yaml. A file counts
# only when it imports a CDK or Pulumi library (IAC_IMPORT), so the application code next to it
# (a Lambda handler calling the AWS SDK) proves nothing. Constructs are the documented class names
# (CDK: `new ecs.FargateService`, Python `ecs.FargateService(`, Go `awsecs.NewFargateService`,
# Java `FargateService.Builder`; Pulumi: `aws.ecs.Service`, Go `ecs.NewService`, C# `Aws.Ecs.Service`).
IAC_IMPORT = (r"aws-cdk-lib|@aws-cdk/|\baws_cdk\b|aws-cdk-go/awscdk|software\.amazon\.awscdk|Amazon\.CDK\b|"
              r"@pulumi/|\bpulumi_\w+|pulumi/pulumi-\w+/sdk|\bPulumi\.\w+|com\.pulumi\.")
_NOT_BASTION = r"(?![^\n]{0,80}[Bb]astion)"
PROGRAM_RULES: list[tuple[str, str, str | tuple[str, ...]]] = [  # a tuple: every regex must match
    ("deploy_targets", "ecs", r"(Fargate|Ec2|External)Service\b|LoadBalanced(Fargate|Ec2)Service\b|"
                              r"QueueProcessing(Fargate|Ec2)Service\b|Scheduled(Fargate|Ec2)Task\b|EcsDeployAction\b|"
                              r"EcsDeploymentGroup\b|\b(ecs|awsecs)\.(New)?(Cfn)?(Service|TaskDefinition)\b|"
                              r"(Fargate|Ec2)TaskDefinition\b|\bEcs\.(Service|TaskDefinition)\b|awsx\.ecs\."),
    ("deploy_targets", "lambda", r"(DockerImage|Nodejs|Python|Go|Singleton)Function\b|"
                                 r"\b(lambda_?|_lambda|awslambda|aws_lambda|Lambda)\.(New)?(Cfn)?Function\b(?!\.from)|"
                                 r"\bnew\s+Function\s*\(\s*this\b|\bFunction\.Builder\b|"
                                 r"\blambda\.(New)?CallbackFunction\b"),
    ("deploy_targets", "api-gateway", r"(?<!I)(Lambda|Spec|StepFunctions)?RestApi\b(?!\.from)|(?<!I)HttpApi\b(?!\.from)|"
                                      r"\bRestAPI\b|"
                                      r"WebSocketApi\b|\bapigatewayv2\.(New)?(Cfn)?Api\b|"
                                      r"\bApiGateway(V2)?\.(RestApi|Api)\b|awsx\.(classic\.)?apigateway\.API\b"),
    ("deploy_targets", "eks", r"\b(eks|awseks)\.(New)?(Fargate)?Cluster\b|\bEks\.Cluster\b|"
                              r"\bservices\.eks\.(Fargate)?Cluster\b"),
    ("deploy_targets", "kubernetes", r"\b(eks|awseks)\.(New)?(Fargate)?Cluster\b|@pulumi/kubernetes|pulumi_kubernetes|"
                                     r"pulumi-kubernetes/sdk|Pulumi\.Kubernetes"),
    ("deploy_targets", "ec2", rf"\b(ec2|awsec2)\.(New)?Instance\b{_NOT_BASTION}|"
                              rf"\b(autoscaling|awsautoscaling)\.(New)?(AutoScalingGroup|Group)\b{_NOT_BASTION}|"
                              rf"\bnew\s+AutoScalingGroup\s*\({_NOT_BASTION}|\bAutoScalingGroup\.Builder\b{_NOT_BASTION}"),
    # class names imported unqualified (TS `import { Instance } from 'aws-cdk-lib/aws-ec2'`, C#, Java):
    # the module import says which service the name belongs to
    ("deploy_targets", "ec2", (r"aws[-_]ec2\b|services\.ec2\b|CDK\.AWS\.EC2\b",
                               rf"\bnew\s+Instance_?\s*\({_NOT_BASTION}|\bInstance\.Builder\.create\({_NOT_BASTION}")),
    ("deploy_targets", "api-gateway", (r"aws[-_]apigatewayv2|services\.apigatewayv2\b|CDK\.AWS\.Apigatewayv2\b",
                                       r"\bnew\s+CfnApi\s*\(|\bCfnApi\.Builder\b")),
    ("deploy_targets", "amplify-hosting", (r"aws[-_]amplify|services\.amplify\b|CDK\.AWS\.Amplify\b",
                                           r"\bnew\s+CfnApp\s*\(|\bCfnApp\.Builder\b")),
    ("deploy_targets", "codedeploy", r"(Server|Ecs|Lambda)DeploymentGroup\b|\bcodedeploy\.(New)?DeploymentGroup\b"),
    ("deploy_targets", "s3-static", r"websiteIndexDocument|website_index_document|WebsiteIndexDocument|"
                                    r"\bs3\.(New)?BucketWebsiteConfiguration"),
    # a BucketDeployment also uploads data and assets; a site is one served through CloudFront
    ("deploy_targets", "s3-static", (r"BucketDeployment\b", r"Distribution\b")),
    ("deploy_targets", "app-runner", r"\b(apprunner|awsapprunner|apprunner_alpha)\.(New)?(Cfn)?Service\b|"
                                     r"\bAppRunner\.(Cfn)?Service\b"),
    ("deploy_targets", "elastic-beanstalk", r"\b(elasticbeanstalk|awselasticbeanstalk)\.(New)?(Cfn)?"
                                            r"(Environment|Application)\b|\bElasticBeanstalk\.(Cfn)?Environment\b"),
    ("deploy_targets", "amplify-hosting", r"\b(amplify|awsamplify|amplify_alpha)\.(New)?(Cfn)?App\b"),
    ("deploy_targets", "lightsail", r"\b(lightsail|awslightsail)\.(New)?(Cfn)?(Instance|Container(Service)?)\b"),
    ("ci_systems", "codebuild", r"\b(codebuild|awscodebuild)\.(New)?(Pipeline)?(Cfn)?Project\b|CodeBuildStep\b|"
                                r"CodeBuildAction\b|\b(pipelines|awspipelines)\.(New)?(CodePipeline|ShellStep)\b|"
                                r"\b(CodePipeline|ShellStep)\.Builder\b|\bCodeBuild\.Project\b"),
    ("ci_systems", "codepipeline", r"\b(codepipeline|awscodepipeline)\.(New)?(Cfn)?Pipeline\b|"
                                   r"\b(pipelines|awspipelines)\.(New)?CodePipeline\b|\bCodePipeline\.Builder\b|"
                                   r"\bCodePipeline\.Pipeline\b"),
]
PROGRAM_SOURCE = r"\.(ts|js|mjs|py|go|java|cs|kt|fs)$"
# Read first when a program has more source files than the cap: names and folders stacks live in.
PROGRAM_FIRST = (r"(^|/)(bin|lib|infra[^/]*|cdk|stacks?|constructs?|pipelines?|deploy[^/]*)/|"
                 r"(stack|construct|infra|pipeline|app|main|index|__main__|program)[^/]*\.\w+$")
PROGRAM_SKIP = r"(^|/)(test|tests|__tests__|node_modules|cdk\.out)/|(_test\.go|\.test\.ts|\.spec\.ts|\.d\.ts)$"

# Amplify backends define functions and REST APIs too.
AMPLIFY_RULES: list[tuple[str, str, str, str]] = [
    ("deploy_targets", "lambda", r"(^|/)amplify/backend/backend-config\.json$", r"\"function\"\s*:"),
    ("deploy_targets", "api-gateway", r"(^|/)amplify/backend/backend-config\.json$", r"\"API Gateway\""),
    ("deploy_targets", "lambda", r"(^|/)amplify/.*\.(ts|js)$", r"\bdefineFunction\s*\("),
]
for _family, _value, _path, _probe in AMPLIFY_RULES:
    RULES.append(r(_family, _value, _path, _probe))

# If the left trait holds, so does the right one.
IMPLIES: list[tuple[tuple[str, str], tuple[str, str]]] = [
    (("deploy_targets", "eks"), ("deploy_targets", "kubernetes")),
    (("iac_tools", "helm"), ("deploy_targets", "kubernetes")),
    (("iac_tools", "kustomize"), ("deploy_targets", "kubernetes")),
    (("iac_tools", "kubernetes-manifests"), ("deploy_targets", "kubernetes")),
]

# ---- languages -----------------------------------------------------------------------------------
EXTENSIONS: dict[str, str] = {
    ".py": "python", ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".vue": "javascript", ".svelte": "javascript", ".ts": "typescript", ".tsx": "typescript",
    ".mts": "typescript", ".java": "java", ".kt": "kotlin", ".go": "go", ".cs": "csharp", ".rb": "ruby",
    ".php": "php", ".rs": "rust", ".scala": "scala",
}
# Build manifests that make even one source file of that language count.
LANGUAGE_MANIFESTS: dict[str, str] = {
    "python": r"(^|/)(requirements[^/]*\.txt|setup\.py|setup\.cfg|pyproject\.toml|Pipfile|manage\.py)$",
    "javascript": r"(^|/)package\.json$",
    "typescript": r"(^|/)(package\.json|tsconfig[^/]*\.json)$",
    "java": r"(^|/)(pom\.xml|build\.gradle(\.kts)?)$",
    "kotlin": r"(^|/)(pom\.xml|build\.gradle(\.kts)?)$",
    "go": r"(^|/)go\.mod$",
    "csharp": r"\.(csproj|sln|slnx)$",
    "ruby": r"(^|/)(Gemfile|Rakefile|[^/]+\.gemspec)$",
    "php": r"(^|/)composer\.json$",
    "rust": r"(^|/)Cargo\.toml$",
    "scala": r"(^|/)build\.sbt$",
}
# Files that are configuration written in a language, not the project's program.
NOT_LANGUAGE_FILES = re.compile(
    r"(^|/)(\.[^/]+|[^/]*\.config\.[cm]?[jt]s|[^/]*\.conf\.[cm]?js|Gruntfile\.[cm]?[jt]s|"
    r"gulpfile(\.[\w-]+)?\.[cm]?[jt]s|(webpack|rollup|babel|karma|jest|vitest|protractor|wdio|nightwatch)"
    r"\.[^/]*\.[cm]?[jt]s|(dangerfile|knexfile|Jakefile|ember-cli-build|serverless)\.[cm]?[jt]s|"
    r"[^/]*\.d\.ts|gunicorn\.conf\.py|conftest\.py|noxfile\.py|fabfile\.py|"
    r"[^/]*\.min\.js|[^/]*bundle[^/]*\.js|[^/]*-min\.js|[^/]*[.-][0-9a-f]{8,}\.js|[^/]*[-.]\d+\.\d+(\.\d+)?[^/]*\.js|"
    r"(jquery|bootstrap|popper|lodash|underscore|moment|d3|chart|three|backbone|modernizr|html5shiv|"
    r"respond|require|socket\.io|highlight|prism)[^/]*\.js)$|(^|/)(dist|build|out|target|coverage|\.next|"
    r"static/(vendor|lib)|public/(vendor|lib)|assets/vendor|lib/vendor)/")
# A Python file named like a command (`deploy-to-x.py`) cannot be imported: it is a helper script.
SCRIPT_NAMED = re.compile(r"(^|/)[^/]*-[^/]*\.py$")
MIN_FILES_WITHOUT_MANIFEST = 2
