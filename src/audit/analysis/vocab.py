"""Normalised vocabularies of the fingerprint parts (documented in docs/analysis.md).

AWS and the repository scanner name the same thing many ways (`CodeStarSourceConnection`,
`GitHub`, `github-actions`); a fingerprint is only comparable across clients if every part comes
from one small vocabulary.
"""

from __future__ import annotations

import re

from audit.names import REGION_IN_TEXT

SOURCE = {
    "codestarsourceconnection": "github", "github": "github", "codecommit": "codecommit", "s3": "s3",
    "ecr": "ecr", "bitbucket": "bitbucket", "gitlab": "gitlab",
}
BUILD = {"codebuild": "codebuild", "jenkins": "jenkins", "github-actions": "github-actions",
         "gitlab-ci": "gitlab-ci", "bitbucket-pipelines": "bitbucket-pipelines", "circleci": "circleci"}
IAC = {"cloudformation": "cloudformation", "sam": "sam", "cdk": "cdk", "serverless-framework": "serverless",
       "serverless": "serverless", "copilot": "copilot", "amplify": "amplify", "terraform": "terraform",
       "pulumi": "pulumi"}
# Deploy action providers that reach a target directly (no stack): provider -> (target, strategy).
DIRECT_DEPLOY = {
    "ecs": ("ecs", "rolling"), "codedeploytoecs": ("ecs", "blue-green"),
    "elasticbeanstalk": ("beanstalk", "rolling"), "s3": ("s3-static", "all-at-once"),
    "codedeploy": ("ec2", "in-place"),
}
ARTIFACT_OF_TARGET = {"ecs": "image", "eks": "image", "lambda": "zip", "beanstalk": "bundle", "ec2": "bundle",
                      "s3-static": "static", "infra": "template"}
# When a unit reaches several targets (a stack with a service and a bucket), the first wins.
TARGET_PRIORITY = {"ecs": 0, "eks": 1, "lambda": 2, "beanstalk": 3, "ec2": 4, "s3-static": 5, "infra": 9}
UNKNOWN = "unknown"
NONE = "none"


def text(value: object) -> str:
    """A string cell as text; None, NaN and pd.NA (pandas' missing strings) become ""."""
    return value if isinstance(value, str) else ""


# A connection's ProviderType (the `connections` table) -> source vocabulary.
CONNECTION_SOURCE = {
    "github": "github", "githubenterpriseserver": "github", "githubenterpriseclouddataresidency": "github",
    "bitbucket": "bitbucket", "gitlab": "gitlab", "gitlabselfmanaged": "gitlab", "azuredevops": "azure-devops",
}


def source_of(provider: str | None, repo_url: str | None = None, connection_provider: str | None = None) -> str:
    """Pipeline source provider -> source vocabulary. A connection source is its connection's provider
    type when the crawl read the connection, else the host of the linked repo URL, else github."""
    key = text(provider).lower()
    if not key:
        return NONE
    if key == "codestarsourceconnection" and text(connection_provider).lower() in CONNECTION_SOURCE:
        return CONNECTION_SOURCE[text(connection_provider).lower()]
    if key == "codestarsourceconnection" and repo_url:
        host = host_of(repo_url)
        if host in ("gitlab", "bitbucket"):
            return host
    return SOURCE.get(key, key)


def host_of(url: str | None) -> str:
    """Source host of a repository URL: github | gitlab | bitbucket | codecommit | git."""
    low = text(url).lower()
    for host in ("github", "gitlab", "bitbucket", "codecommit"):
        if host in low:
            return host
    return "git"


def build_of(providers: list[str]) -> str:
    vals = sorted({BUILD.get(text(p).lower(), text(p).lower()) for p in providers if text(p)})
    return "+".join(vals) if vals else NONE


def iac_of(tool: str | None) -> str:
    key = text(tool).lower()
    return IAC.get(key, key) if key else NONE


BEANSTALK_STRATEGY = {"allatonce": "all-at-once", "rolling": "rolling", "rollingwithadditionalbatch": "rolling",
                      "immutable": "immutable", "trafficsplitting": "canary"}


def strategy_of_beanstalk(policy: str | None) -> str:
    """aws:elasticbeanstalk:command DeploymentPolicy -> strategy; unknown when the crawl could not read it."""
    return BEANSTALK_STRATEGY.get(text(policy).lower(), UNKNOWN)
ECS_STRATEGY = {"ROLLING": "rolling", "BLUE_GREEN": "blue-green", "LINEAR": "linear", "CANARY": "canary"}


def strategy_of_ecs(controller: str | None, strategy: str | None) -> str:
    """ECS controller and native strategy -> rolling | blue-green | linear | canary | external
    (CODE_DEPLOY: blue-green, its CodeDeploy group may refine it)."""
    kind = text(controller).upper() or "ECS"
    if kind == "CODE_DEPLOY":
        return "blue-green"
    if kind == "EXTERNAL":
        return "external"
    return ECS_STRATEGY.get(text(strategy).upper(), "rolling")


def strategy_of_codedeploy(deployment_type: str | None, config: str | None) -> str:
    """CodeDeploy deployment type/config -> blue-green | canary | linear | all-at-once | in-place."""
    cfg = text(config).lower()
    if "canary" in cfg:
        return "canary"
    if "linear" in cfg:
        return "linear"
    if text(deployment_type).upper() == "BLUE_GREEN":
        return "blue-green"
    if "allatonce" in cfg and "lambda" in cfg:
        return "all-at-once"
    return "in-place"


def fingerprint(source: str, build: str, artifact: str, iac: str, target: str, strategy: str,
                gates: str | None) -> str:
    text = f"{source} -> {build} -> {artifact} -> {iac} -> {target}[{strategy}]"
    return f"{text} + {gates}" if gates else text


PARTS = ("source", "build", "artifact", "iac", "target", "strategy", "gates")


def fingerprint_parts(text: str | None) -> dict[str, str]:
    """The parts of a `fingerprint` string (its inverse); an unparsable text is all in `target`."""
    parts = dict.fromkeys(PARTS, "")
    if not text:
        return parts
    chain, _, parts["gates"] = str(text).partition(" + ")
    steps = chain.split(" -> ")
    if len(steps) != 5:
        parts["target"] = str(text)
        return parts
    last, _, strategy = steps[4].partition("[")
    parts.update(zip(PARTS[:4], steps[:4], strict=True), target=last, strategy=strategy.rstrip("]"))
    return parts


def fingerprint_changes(before: str | None, after: str | None) -> list[str]:
    """What differs between two fingerprints, in words: 'build codebuild → github-actions', 'gates + manual-approval'."""
    old, new = fingerprint_parts(before), fingerprint_parts(after)
    out = []
    for part in PARTS[:-1]:
        if old[part] != new[part]:
            out.append(f"{part} {old[part] or 'none'} → {new[part] or 'none'}")
    gained = sorted(set(filter(None, new["gates"].split(" + "))) - set(filter(None, old["gates"].split(" + "))))
    lost = sorted(set(filter(None, old["gates"].split(" + "))) - set(filter(None, new["gates"].split(" + "))))
    out += [f"gained gate {g}" for g in gained] + [f"lost gate {g}" for g in lost]
    return out


def family(artifact: str, target: str) -> str:
    return f"{artifact} -> {target}"


_ACCOUNT = re.compile(r"\d{12}")
_HASHY = re.compile(r"(?<![a-z0-9])[0-9a-f]{8,}(?![a-z0-9])|(?<![a-z0-9])\d+")


def normalise_name(name: str | None, client: str | None = None, account_id: str | None = None) -> str:
    """A resource name with client, account, region and numeric/hash parts replaced by placeholders.

    `acme-deploy-123456789012-eu-west-1` and `globex-deploy-210987654321-us-east-1` both become
    `{client}-deploy-{account}-{region}`, so the same onboarding item is counted once per account.
    """
    out = text(name).lower()
    if text(account_id):
        out = out.replace(account_id, "{account}")
    out = _ACCOUNT.sub("{account}", out)
    out = REGION_IN_TEXT.sub("{region}", out)
    if text(client):
        low = client.lower()
        variants = {low, low.replace("-", ""), low.replace("-", "_"), low.split("-")[0]}
        for variant in sorted(variants, key=len, reverse=True):
            if len(variant) >= 3:
                out = out.replace(variant, "{client}")
    return _HASHY.sub("{n}", out.replace("{account}", "\0a").replace("{region}", "\0r")) \
        .replace("\0a", "{account}").replace("\0r", "{region}")
