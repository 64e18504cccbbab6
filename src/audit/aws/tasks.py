"""The three kinds of crawl task, as plain picklable functions (so any Executor can run them).

`start_account` assumes the role (once, up front) and resolves the regions; `read_tags` reads one
region's tags in bulk (audit.aws.tagging); `run_collector` runs one collector for one (account,
region), with the account's tag index. Both return plain dicts and never raise for AWS
failures: those become `errors` rows. Calls are counted per task via the per-thread counter.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from audit.aws.collectors import REGISTRY
from audit.aws.collectors.base import Ctx
from audit.aws.failures import AWS_ERRORS, classify, error_row
from audit.aws.guard import recording_calls
from audit.aws.session import GLOBAL, AwsSettings, Target, context_for
from audit.aws.tagging import SERVICE as TAGGING
from audit.aws.tagging import TagIndex, read_region_tags
from audit.config.accounts import REVISION_LOOKUPS
from audit.errors import AuditError, ReadOnlyViolation
from audit.logs import redact

log = logging.getLogger(__name__)


def start_account(settings: AwsSettings, day: str, target: Target, regions: list[str] | str) -> dict[str, Any]:
    """AssumeRole now; 'all' regions -> the regions enabled for the account."""
    aws = context_for(settings, day)
    before = aws.counter.thread_count()
    where = {"account_id": target.account_id, "client": target.client, "collector": "session"}
    out: dict[str, Any] = {"regions": [], "errors": [], "failed": False}
    try:
        aws.assume(target)
    except (*AWS_ERRORS, AuditError) as exc:
        # STS rejecting a token here is about the base credentials, not a disabled region
        klass = classify(exc)[0] if isinstance(exc, AWS_ERRORS) else "other"
        klass = "credentials" if klass == "region-disabled" else klass
        out["errors"].append(error_row(exc, **where, region=GLOBAL, operation="AssumeRole", error_class=klass))
        out["failed"] = True
    if not out["failed"]:
        if regions == "all":
            try:
                with aws.acting_as(target):
                    out["regions"] = aws.enabled_regions(target)
            except AWS_ERRORS as exc:
                out["errors"].append(error_row(exc, **where, region=aws.settings.home_region,
                                               operation="DescribeRegions"))
        else:
            out["regions"] = list(dict.fromkeys(regions))  # a region named twice is crawled once
    out["calls"] = aws.counter.thread_count() - before
    return out


def read_tags(settings: AwsSettings, day: str, target: Target, region: str,
              resource_types: tuple[str, ...]) -> dict[str, Any]:
    """One region's tags by ARN (None when the pass failed: its errors row says why, and the
    collectors read that region's tags per resource)."""
    aws = context_for(settings, day)
    before = aws.counter.thread_count()
    out: dict[str, Any] = {"region": region, "tags": None, "errors": []}
    try:
        with aws.acting_as(target):
            out["tags"] = read_region_tags(aws.client(target, region, TAGGING), resource_types)
    except AWS_ERRORS as exc:
        out["errors"].append(error_row(exc, account_id=target.account_id, client=target.client, region=region,
                                       collector="tags", operation="GetResources"))
    out["calls"] = aws.counter.thread_count() - before
    return out


def run_collector(settings: AwsSettings, day: str, target: Target, region: str, name: str,
                  since: datetime, until: datetime | None = None, tags: TagIndex | None = None, *,
                  previous: dict[str, list[dict[str, Any]]] | None = None,
                  revision_lookups: int = REVISION_LOOKUPS) -> dict[str, Any]:
    """One collector for one (account, region): rows by table, error rows, calls made.

    `tags`: the account's bulk tags for collectors that take them; `previous`: the last good
    snapshot's rows of this account and region for the collector's `reuses` tables (plain dicts, so
    any Executor can ship them)."""
    aws = context_for(settings, day)
    before = aws.counter.thread_count()
    ctx = Ctx(target.account_id, target.client, region, name,
              lambda service, where=region: aws.client(target, where, service), since, until,
              partition=settings.partition, tag_index=tags, previous=previous or {},
              revision_lookups=revision_lookups)
    rows: dict[str, list[dict[str, Any]]] = {}
    try:
        with aws.acting_as(target), recording_calls() as called:
            rows = REGISTRY[name].collect(ctx)
    except AWS_ERRORS as exc:
        ctx.error(exc)
    except Exception as exc:  # a bug or an answer we did not expect: record it, keep crawling
        log.warning("collector %s failed in %s/%s: %s", name, target.account_id, region, redact(repr(exc)))
        operation = exc.operation if isinstance(exc, ReadOnlyViolation) else "collect"
        ctx.errors.append(error_row(exc, account_id=target.account_id, client=target.client, region=region,
                                    collector=name, operation=operation, error_class="other"))
    return {"rows": rows, "errors": ctx.errors, "calls": aws.counter.thread_count() - before,
            "operations": sorted(f"{service}:{op}" for service, op in called)}
