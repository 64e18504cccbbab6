"""The two kinds of crawl task, as plain picklable functions (so any Executor can run them).

`start_account` assumes the role (once, up front) and resolves the regions; `run_collector` runs
one collector for one (account, region). Both return plain dicts and never raise for AWS
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


def run_collector(settings: AwsSettings, day: str, target: Target, region: str, name: str,
                  since: datetime, until: datetime | None = None, previous: str | None = None) -> dict[str, Any]:
    """One collector for one (account, region): rows by table, error rows, calls made.
    `previous`: the previous good snapshot's directory (`Ctx.previous`), if any."""
    aws = context_for(settings, day)
    before = aws.counter.thread_count()
    ctx = Ctx(target.account_id, target.client, region, name,
              lambda service: aws.client(target, region, service), since, until, previous_dir=previous)
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
