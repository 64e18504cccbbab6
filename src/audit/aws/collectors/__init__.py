"""The collector registry: one explicit, ordered map name -> Collector (grep it, no magic).

`--services` is validated against these keys; the audit role's IAM policy is generated from the
actions each collector declares (audit.aws.policy).
"""

from __future__ import annotations

from collections.abc import Iterable

from audit.aws.collectors import (
    beanstalk,
    cloudformation,
    cloudfront,
    codebuild,
    codecommit,
    codeconnections,
    codedeploy,
    codepipeline,
    ecr,
    ecs,
    eventbridge,
    iam,
    lambda_,
    s3,
    simple,
)
from audit.aws.collectors.base import Collector, Ctx, ResourceSpec, Rows
from audit.errors import ConfigError

REGISTRY: dict[str, Collector] = {
    "codepipeline": codepipeline.COLLECTOR,
    "eventbridge": eventbridge.COLLECTOR,
    "codecommit": codecommit.COLLECTOR,
    "codeconnections": codeconnections.COLLECTOR,
    "codebuild": codebuild.COLLECTOR,
    "codedeploy": codedeploy.COLLECTOR,
    "cloudformation": cloudformation.COLLECTOR,
    "ecs": ecs.COLLECTOR,
    "eks": simple.EKS_COLLECTOR,
    "lambda": lambda_.COLLECTOR,
    "beanstalk": beanstalk.COLLECTOR,
    "ecr": ecr.COLLECTOR,
    "s3": s3.COLLECTOR,
    "cloudfront": cloudfront.COLLECTOR,
    "apigateway": simple.APIGATEWAY_COLLECTOR,
    "iam": iam.COLLECTOR,
    "autoscaling": simple.AUTOSCALING_COLLECTOR,
    "cloudwatch": simple.CLOUDWATCH_COLLECTOR,
}


def select(names: Iterable[str] | None) -> list[Collector]:
    """The collectors to run, in registry order; an unknown name is a ConfigError (exit 2)."""
    if not names:
        return list(REGISTRY.values())
    wanted = [n.strip() for n in names if n.strip()]
    unknown = [n for n in wanted if n not in REGISTRY]
    if unknown:
        raise ConfigError(f"unknown service(s) {', '.join(unknown)}; expected some of: {', '.join(REGISTRY)}",
                          field="--services")
    return [c for name, c in REGISTRY.items() if name in wanted]


__all__ = ["REGISTRY", "Collector", "Ctx", "ResourceSpec", "Rows", "select"]
