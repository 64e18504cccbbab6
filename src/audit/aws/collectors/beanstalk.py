"""Elastic Beanstalk: applications and live environments; option settings by NAME only.

DescribeEnvironments is asked with `IncludeDeleted=False`: AWS lists terminated environments for
about an hour otherwise, and they are not live. DescribeConfigurationSettings is per environment:
one failing (an environment terminated meanwhile, AccessDenied, not implemented) is an errors row
and loses only that environment's option names; the other environments are still asked.
A region with no application has no live environment (an environment belongs to an application,
and DeleteApplication terminates or refuses running ones:
https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_DeleteApplication.html), so
DescribeEnvironments is not called there: one call less in every region without Beanstalk.
Option values are never kept: environment properties are values (often secrets).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, pages, resource_row, secret_findings

ENV_NAMESPACE = "aws:elasticbeanstalk:application:environment"


def option_names(answer: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(namespace, name) of every option setting; the values are dropped here."""
    return [(o.get("Namespace", ""), o["OptionName"])
            for s in answer.get("ConfigurationSettings", []) for o in s.get("OptionSettings", [])]


def get_beanstalk(ctx: Ctx) -> dict[str, Any]:
    eb = ctx.client("elasticbeanstalk")
    # applications and environments are listed apart: one failing keeps the other's rows
    listed = ctx.soft("DescribeApplications", lambda: eb.describe_applications().get("Applications", []),
                      default=None)
    apps = [dict(a) for a in listed or []]
    envs = [] if listed == [] else [
        dict(e) for e in ctx.soft("DescribeEnvironments", pages, eb, "describe_environments", "Environments",
                                  IncludeDeleted=False, default=[])]
    for item, arn_key in [*((a, "ApplicationArn") for a in apps), *((e, "EnvironmentArn") for e in envs)]:
        arn = item.get(arn_key)
        item["__tags"] = ctx.tags_for(arn, "ListTagsForResource", lambda a=arn: eb.list_tags_for_resource(
            ResourceArn=a).get("ResourceTags"), quiet=("not-found",))

    def read_options(env: dict[str, Any]) -> None:
        env["__options"] = option_names(eb.describe_configuration_settings(
            ApplicationName=env["ApplicationName"], EnvironmentName=env["EnvironmentName"]))

    for env in envs:
        env["__options"] = None  # unknown unless its own call answers
    ctx.each("DescribeConfigurationSettings", envs, read_options)
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
