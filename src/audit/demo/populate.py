"""Seed the whole fleet: every client account's baseline and team resources, accounts in parallel.

The toolkit (shared clients, `Ctx`, `Seeded`) is `seed.py`; what is created is `baseline.py` and
`teams.py`; this module only runs them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from audit.demo import backend_fixes as fix
from audit.demo.baseline import seed_baseline
from audit.demo.model import TOOLING_ACCOUNT, ClientSpec, FleetModel
from audit.demo.seed import Clients, Ctx, Seeded, act_as
from audit.demo.teams import seed_data, seed_java, seed_ops, seed_web


def seed_fleet(endpoint_url: str, model: FleetModel, *, workers: int = 8,
               seeders: list[Callable[[Ctx], None]] | None = None) -> dict[str, Seeded]:
    """Seed every client account in parallel; returns what was created per account."""
    clients = Clients(endpoint_url)
    steps = seeders or [seed_baseline, seed_web, seed_data, seed_java, seed_ops]

    def one(spec: ClientSpec) -> Seeded:
        act_as(spec.account_id)
        ctx = Ctx(spec=spec, model=model, clients=clients, out=Seeded(spec.account_id, spec.name))
        fix.codecommit_listing(spec.account_id, model.regions)
        fix.connections_listing(spec.account_id, model.regions)
        fix.codedeploy_batch(spec.account_id, model.regions)
        for step in steps:
            step(ctx)
        return ctx.out

    warm_up(clients, model)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fleet-seed") as pool:
        results = list(pool.map(one, model.clients))
    return {r.account_id: r for r in results}


def warm_up(clients: Clients, model: FleetModel) -> None:
    """Make moto load each service once, before the accounts race for it."""
    region = model.regions[0]
    calls: list[tuple[str, Callable[[Any], Any]]] = [
        ("iam", lambda c: c.list_roles()), ("s3", lambda c: c.list_buckets()),
        ("cloudformation", lambda c: c.list_stacks()), ("codebuild", lambda c: c.list_projects()),
        ("codepipeline", lambda c: c.list_pipelines()), ("ecs", lambda c: c.list_clusters()),
        ("lambda", lambda c: c.list_functions()), ("ecr", lambda c: c.describe_repositories()),
        ("codedeploy", lambda c: c.list_applications()), ("cloudwatch", lambda c: c.describe_alarms()),
        ("elasticbeanstalk", lambda c: c.describe_applications()),
        ("autoscaling", lambda c: c.describe_auto_scaling_groups()),
        ("ec2", lambda c: c.describe_launch_templates()), ("cloudfront", lambda c: c.list_distributions()),
        ("apigateway", lambda c: c.get_rest_apis()), ("apigatewayv2", lambda c: c.get_apis()),
        ("codecommit", lambda c: c.get_repository(repositoryName="warm-up")),
    ]

    # Sequential: loading is CPU-bound under the GIL, so threads only add contention.
    act_as(TOOLING_ACCOUNT)
    for service, call in calls:
        with contextlib.suppress(Exception):  # warming only; errors are expected (e.g. missing repo)
            call(clients(service, region))

