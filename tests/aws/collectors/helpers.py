"""What several collector tests share: counting the calls a collector makes, and pipeline actions."""

from __future__ import annotations

from collections import Counter
from typing import Any

from audit.aws.collectors import REGISTRY


def collect_counting(ctx: Any, name: str) -> tuple[dict, Counter]:
    """Run the registered collector `name` on `ctx`, counting botocore calls per operation on every
    client it builds (a bucket's own region included)."""
    calls: Counter = Counter()
    clients: list[Any] = []
    inner = ctx.clients

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    def counting(service: str, *where: str) -> Any:
        client = inner(service, *where)
        if client not in clients:
            client.meta.events.register("before-call", count)
            clients.append(client)
        return client

    ctx.clients = counting
    try:
        rows = REGISTRY[name].collect(ctx)
    finally:
        ctx.clients = inner
        for client in clients:
            client.meta.events.unregister("before-call", count)
    return rows, calls


def pipeline_action(name: str, category: str, provider: str, config: dict, owner: str = "AWS") -> dict:
    """One CodePipeline action declaration (a source outputs `src`, every other action reads it)."""
    artifacts = {"outputArtifacts": [{"name": "src"}]} if category == "Source" else {"inputArtifacts": [{"name": "src"}]}
    return {"name": name, "actionTypeId": {"category": category, "owner": owner, "provider": provider, "version": "1"},
            "configuration": config, "runOrder": 1, **artifacts}
