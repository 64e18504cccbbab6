"""Elastic Beanstalk: applications and environments; option settings by NAME only.

DescribeConfigurationSettings is per environment; when the endpoint refuses it (AccessDenied,
not implemented) the first failure is recorded and the remaining environments skip the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, pages, resource_row, secret_findings
from audit.aws.failures import AWS_ERRORS

ENV_NAMESPACE = "aws:elasticbeanstalk:application:environment"


def get_beanstalk(ctx: Ctx) -> dict[str, Any]:
    eb = ctx.client("elasticbeanstalk")
    # applications and environments are listed apart: one failing keeps the other's rows
    apps = [dict(a) for a in ctx.soft("DescribeApplications", lambda: eb.describe_applications()
                                      .get("Applications", []), default=[])]
    envs = [dict(e) for e in ctx.soft("DescribeEnvironments", pages, eb, "describe_environments", "Environments",
                                      default=[])]
    for item, arn_key in [*((a, "ApplicationArn") for a in apps), *((e, "EnvironmentArn") for e in envs)]:
        arn = item.get(arn_key)
        item["__tags"] = ctx.tags_for(arn, "ListTagsForResource", lambda a=arn: eb.list_tags_for_resource(
            ResourceArn=a).get("ResourceTags"), quiet=("not-found",))
    settings_ok = True
    for env in envs:
        env["__options"] = None
        if not settings_ok:
            continue
        try:
            answer = eb.describe_configuration_settings(ApplicationName=env["ApplicationName"],
                                                        EnvironmentName=env["EnvironmentName"])
        except AWS_ERRORS as exc:
            ctx.error(exc, "DescribeConfigurationSettings")
            settings_ok = False
            continue
        options = [o for s in answer.get("ConfigurationSettings", []) for o in s.get("OptionSettings", [])]
        env["__options"] = [(o.get("Namespace", ""), o["OptionName"]) for o in options]  # names only
    return {"applications": apps, "environments": envs}


def platform_name(env: Mapping[str, Any]) -> str | None:
    arn = env.get("PlatformArn") or ""
    return arn.split("platform/", 1)[1].rsplit("/", 1)[0] if "platform/" in arn else None


def transform(raw: Mapping[str, Any], ctx: Ctx) -> Rows:
    apps = [resource_row(ctx, a.get("ApplicationArn"), a["ApplicationName"], a.get("__tags"))
            for a in raw["applications"]]
    envs, findings = [], []
    for e in raw["environments"]:
        options = e.get("__options")
        envs.append(resource_row(
            ctx, e.get("EnvironmentArn"), e["EnvironmentName"], e.get("__tags"),
            application_name=e.get("ApplicationName"),
            platform=platform_name(e) or e.get("SolutionStackName"), solution_stack=e.get("SolutionStackName"),
            status=e.get("Status"), health=e.get("Health"), tier=(e.get("Tier") or {}).get("Name"),
            option_names=None if options is None else [f"{ns}:{name}" for ns, name in options],
        ))
        env_vars = [name for ns, name in options or [] if ns == ENV_NAMESPACE]
        findings += secret_findings(ctx.where, "beanstalk", e.get("EnvironmentArn"), e["EnvironmentName"], env_vars)
    return {"beanstalk_applications": apps, "beanstalk_environments": envs, "findings": findings}


def collect(ctx: Ctx) -> Rows:
    return transform(get_beanstalk(ctx), ctx)


COLLECTOR = Collector(
    "beanstalk", collect, ("beanstalk_applications", "beanstalk_environments", "findings"),
    operations("elasticbeanstalk", "DescribeApplications", "DescribeEnvironments", "ListTagsForResource",
               "DescribeConfigurationSettings"),
    bulk_tags=("elasticbeanstalk",),
)
