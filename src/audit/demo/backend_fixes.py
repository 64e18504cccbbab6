"""Fix-ups written straight into moto's in-process backends, where its API loses what AWS keeps.

The fleet runs moto in this process, so after a resource is created through boto3 we can set the
fields moto drops (see /work/shared/MOTO_NOTES.md): stack-created ECS services lose their launch
type and deployment controller, every ECS service its deployment configuration, stack-created Lambda
functions lose their tags, Beanstalk blanks the solution stack, IAM access keys cannot be created in
the past, stacks have no nesting (ParentId/RootId), AWS-managed policies do not exist. The crawler
then reads, over HTTP, what a real account would answer.
"""

from __future__ import annotations

import functools
import json
import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import NAMESPACE_URL
from uuid import uuid5 as uuid_from_name

from moto.core.utils import utcnow

from audit.demo import connections
from audit.demo.model import FleetModel


class Ctx(Protocol):
    """Where a fix applies: one fleet account and region (a seeding `seed.Ctx` is one)."""

    @property
    def acct(self) -> str: ...

    @property
    def region(self) -> str: ...


def ecs_service(ctx: Ctx, cluster: str, service: str, *, launch_type: str, controller: str,
                tag: dict[str, str]) -> None:
    from moto.ecs.models import ecs_backends

    backend = ecs_backends[ctx.acct][ctx.region]
    for svc in backend.services.values():
        if svc.name == service and svc.cluster_name == cluster:
            svc.launch_type = launch_type
            svc.deployment_controller = {"type": controller}
            svc.tags = [{"key": k, "value": v} for k, v in tag.items()]
            return
    raise LookupError(f"ECS service {cluster}/{service} not found in {ctx.acct}/{ctx.region}")


def ecs_deployment_configuration(ctx: Ctx, cluster: str, service: str, config: dict[str, Any]) -> None:
    """The service's `deploymentConfiguration` as AWS keeps it (strategy, circuit breaker, alarms):
    moto's CreateService drops it and DescribeServices then answers none.
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html"""
    from moto.ecs.models import ecs_backends

    for svc in ecs_backends[ctx.acct][ctx.region].services.values():
        if svc.name == service and svc.cluster_name == cluster:
            svc.deployment_configuration = dict(config)
            return
    raise LookupError(f"ECS service {cluster}/{service} not found in {ctx.acct}/{ctx.region}")


def codecommit_listing(account_id: str, regions: Iterable[str]) -> None:
    """Let moto answer ListRepositories in these fleet account regions (moto_patches; moto lacks it)."""
    from moto.codecommit.models import codecommit_backends

    for region in regions:
        codecommit_backends[account_id][region].fleet_listing = True


def codecommit_repository(account_id: str, region: str, name: str, tag: dict[str, str]) -> None:
    """A fleet CodeCommit repository: listed, with the tags moto drops (read by moto_patches)."""
    from moto.codecommit.models import codecommit_backends

    codecommit_listing(account_id, [region])
    codecommit_backends[account_id][region].repositories[name].fleet_tags = dict(tag)


def codecommit_commit(account_id: str, region: str, name: str, commit_id: str, message: str,
                      when: datetime) -> None:
    """A commit of a fleet CodeCommit repository, for BatchGetCommits (moto_patches; moto stores none)."""
    from moto.codecommit.models import codecommit_backends

    repo = codecommit_backends[account_id][region].repositories[name]
    if not hasattr(repo, "fleet_commits"):
        repo.fleet_commits = {}
    repo.fleet_commits[commit_id] = (message, when)


def codedeploy_batch(account_id: str, regions: Iterable[str]) -> None:
    """Let moto answer BatchGetDeploymentGroups in these fleet account regions (moto_patches; moto lacks it)."""
    from moto.codedeploy.models import codedeploy_backends

    for region in regions:
        codedeploy_backends[account_id][region].fleet_batch = True


def connections_listing(account_id: str, regions: Iterable[str]) -> None:
    """Let the fleet answer CodeConnections in these account regions (audit.demo.connections; moto lacks it)."""
    connections.listing(account_id, regions)


def connection(ctx: Ctx, arn: str, name: str, provider_type: str, tag: dict[str, str], *, status: str = "AVAILABLE",
               host_arn: str | None = None) -> bool:
    """A fleet connection in the ctx's account and region; False when it exists already."""
    return connections.add(ctx.acct, ctx.region, connections.Connection(arn, name, provider_type, status, host_arn,
                                                                        dict(tag)))


def s3_bucket(account_id: str, name: str) -> None:
    """A fleet bucket: listed as AWS lists it and redirected from other regions as S3 does (moto_patches)."""
    from moto.s3.models import s3_backends

    backend = s3_backends[account_id]["aws"]
    backend.fleet_listing = True
    backend.buckets[name].fleet_redirect = True


@functools.cache
def _aws_managed_policy_data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def aws_managed_policies(account_id: str, arns: Iterable[str]) -> None:
    """Make AWS-managed policies (arn:aws:iam::aws:policy/...) attachable in a fleet account, as they
    are in every AWS account. moto loads none unless MOTO_IAM_LOAD_MANAGED_POLICIES is set, and then
    all ~1,300 into every account; the fleet registers only those it attaches, from moto's own copy."""
    from moto.iam.models import AWSManagedPolicy, iam_backends

    backend = iam_backends[account_id]["aws"]
    for arn in arns:
        if arn.startswith("arn:aws:iam::aws:policy/") and arn not in backend.managed_policies:
            name = arn.rsplit("/", 1)[-1]
            policy = AWSManagedPolicy.from_data(name, account_id, "us-east-1", _aws_managed_policy_data()[name])
            backend.managed_policies[policy.arn] = policy


def lambda_tags(ctx: Ctx, names: list[str], tag: dict[str, str]) -> None:
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends[ctx.acct][ctx.region]
    for name in names:
        backend.get_function(name).tags = dict(tag)


def beanstalk_environment(ctx: Ctx, name: str, solution_stack: str, option_settings: list[dict[str, str]],
                          tag: dict[str, str]) -> None:
    from moto.elasticbeanstalk.models import eb_backends

    backend = eb_backends[ctx.acct][ctx.region]
    for app in backend.applications.values():
        env = app.environments.get(name)
        if env is not None:
            app.fleet_tags = dict(tag)  # moto drops application tags (read by moto_patches)
            env.solution_stack_name = solution_stack
            env.environment_id = f"e-{zlib.crc32(f'{ctx.acct}/{name}'.encode()):010d}"
            env.health = "Green"
            env.cname = f"{name}.{ctx.region}.elasticbeanstalk.com"
            env.fleet_option_settings = [dict(o) for o in option_settings]  # read by moto_patches
            return
    raise LookupError(f"Beanstalk environment {name} not found in {ctx.acct}/{ctx.region}")


def backdate_access_keys(ctx: Ctx, user: str, *, days: int) -> None:
    """Long-lived keys: make the user and its keys `days` old."""
    from moto.iam.models import iam_backends

    backend = iam_backends[ctx.acct]["aws"]
    u = backend.get_user(user)
    then = utcnow() - timedelta(days=days)
    u.create_date = then
    for key in u.access_keys:
        key.create_date = then


def drop_blank_stack_resources(ctx: Ctx, stack_name: str, region: str) -> None:
    """moto lists a resource it could not create (CDKMetadata, false conditions) as a blank entry.

    AWS lists no such row for a resource whose condition is false; drop it so ListStackResources
    answers like AWS. The template (GetTemplate) keeps the resource.
    """
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[ctx.acct][region]
    stack = next(s for s in backend.stacks.values() if s.name == stack_name)
    resource_map = stack.resource_map
    # a new dict: the old one is shared with the stack's template, which must keep the resource
    resource_map._resource_json_map = {k: v for k, v in resource_map._resource_json_map.items()
                                       if k in resource_map._parsed_resources}


def age_accounts(model: FleetModel, now: datetime) -> None:
    """Give each account an onboarding date in the past: roles, stacks and pipelines were created then.

    Pipelines count as updated at their latest execution. Deterministic per client index.
    """
    from moto.cloudformation.models import cloudformation_backends
    from moto.codepipeline.models import codepipeline_backends
    from moto.iam.models import iam_backends

    for spec in model.clients:
        onboarded = now - timedelta(days=120 + (spec.index * 37) % 400, hours=spec.index % 9)
        for i, role in enumerate(iam_backends[spec.account_id]["aws"].roles.values()):
            role.create_date = onboarded + timedelta(minutes=7 * i)
        for region in model.regions:
            for stack in cloudformation_backends[spec.account_id][region].stacks.values():
                stack.creation_time = onboarded + timedelta(days=1)
            for pipe in codepipeline_backends[spec.account_id][region].pipelines.values():
                pipe._created = onboarded + timedelta(days=2)
                starts = [e.start_time for e in pipe.executions.values()]
                pipe._updated = max(starts) if starts else pipe._created


def rest_api_tags(ctx: Ctx, region: str, api_id: str, tag: dict[str, str]) -> None:
    from moto.apigateway.models import apigateway_backends

    apigateway_backends[ctx.acct][region].apis[api_id].tags = dict(tag)


def stackset_instance_tags(ctx: Ctx, stackset: str, tag: dict[str, str]) -> None:
    """StackSet instance stacks carry the stack set's tags in AWS, and are named
    `StackSet-<set name>-<uuid>` (a stack name has no ':'); moto leaves them bare and names them
    `StackSet:<set name>`."""
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[ctx.acct][ctx.region]
    for stack_id, stack in list(backend.stacks.items()):
        if stack.name.startswith((f"StackSet-{stackset}", f"StackSet:{stackset}")):
            stack.tags = dict(tag)
            if stack.name == f"StackSet:{stackset}":
                # the same fleet seed names the same stack: a uuid from the account and set, not moto's random one
                prefix = stack_id.rpartition("/")[0]
                uuid = str(uuid_from_name(NAMESPACE_URL, f"{ctx.acct}/{ctx.region}/{stackset}"))
                stack.name = f"StackSet-{stackset}-{uuid}"
                stack.stack_id = f"{prefix.rpartition('/')[0]}/{stack.name}/{uuid}"
                backend.stacks[stack.stack_id] = backend.stacks.pop(stack_id)


def stack_nesting(account_id: str, region: str) -> None:
    """ParentId and RootId of nested stacks (the stack ids of the stack that created each and of
    its top-level stack), which AWS returns in DescribeStacks and moto does not.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html"""
    from moto.cloudformation.models import Stack, cloudformation_backends

    stacks = list(cloudformation_backends[account_id][region].stacks.values())
    parent = {id(child): stack for stack in stacks for child in stack.resource_map._parsed_resources.values()
              if isinstance(child, Stack)}
    for stack in stacks:
        if id(stack) in parent:
            top = parent[id(stack)]
            while id(top) in parent:
                top = parent[id(top)]
            stack.parent_id, stack.root_id = parent[id(stack)].stack_id, top.stack_id
