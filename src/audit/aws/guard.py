"""The read-only guard: a botocore `before-call` hook that allows exactly the declared operations.

The allowed set is the union of the botocore (service, operation) pairs the registered collectors
declare (`Collector.operations`) and the few calls the crawl itself makes (`BASE_OPERATIONS`).
Anything else raises `ReadOnlyViolation` in `before-call`, before the request is built, signed or
sent. The audit role's IAM policy is the same set under IAM names (audit.aws.policy), so guard,
policy and code cannot drift apart. Reads that return secrets, presigned URLs or raw data
(GetFunctionConfiguration, GetObject, GetLogEvents, ...) are simply never declared.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from audit.aws.collectors import REGISTRY
from audit.aws.collectors.base import Operation
from audit.aws.failures import note_call
from audit.errors import ReadOnlyViolation

# Calls made outside the collectors with the base credentials or the Organizations management
# role (not the audit role), and why.
BASE_OPERATIONS: dict[Operation, str] = {
    ("sts", "AssumeRole"): "into each client account (session.py)",
    ("sts", "GetCallerIdentity"): "preflight: the base credentials work (session.py)",
    ("organizations", "ListAccounts"): "discover: organizations (discover.py)",
    ("organizations", "ListAccountsForParent"): "discover: organizations, by OU (discover.py)",
    ("organizations", "ListOrganizationalUnitsForParent"): "discover: organizations, by OU (discover.py)",
    ("organizations", "ListTagsForResource"): "discover: organizations, account tags (discover.py)",
}
# Calls made outside the collectors inside a client account (the audit role grants them), and why.
ACCOUNT_OPERATIONS: dict[Operation, str] = {
    ("ec2", "DescribeRegions"): "`regions: all` (session.py)",
    ("resourcegroupstaggingapi", "GetResources"): "tags in bulk, one pass per region (tagging.py)",
}


def account_operations() -> frozenset[Operation]:
    """What the audit role in a client account must allow: the registry's operations plus ACCOUNT_OPERATIONS."""
    return frozenset(ACCOUNT_OPERATIONS) | {op for c in REGISTRY.values() for op in c.operations}


@cache
def allowed_operations() -> frozenset[Operation]:
    """Every (botocore service, operation) the crawler may call."""
    return account_operations() | frozenset(BASE_OPERATIONS)


def is_allowed(service: str, operation: str) -> bool:
    """True for operations the audit may call (`service` is the botocore service name)."""
    return (service, operation) in allowed_operations()


_current = threading.local()


@contextmanager
def recording_calls() -> Iterator[set[Operation]]:
    """Collect the (service, operation) pairs this thread calls inside the block (refused ones too)."""
    previous = getattr(_current, "called", None)
    _current.called = called = set()
    try:
        yield called
    finally:
        _current.called = previous


def refuse_undeclared(model: Any, **_: Any) -> None:
    """`before-call` handler: raise for any operation outside the allowed set."""
    service = model.service_model.service_name
    note_call(model.name)  # names a failure that carries no operation (timeouts, refused connections)
    called = getattr(_current, "called", None)
    if called is not None:
        called.add((service, model.name))
    if not is_allowed(service, model.name):
        raise ReadOnlyViolation(service, model.name)


class CallCounter:
    """Counts HTTP requests (retries included) per thread via a `before-send` hook."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.total = 0

    def on_send(self, **_: Any) -> None:
        self._local.count = getattr(self._local, "count", 0) + 1
        with self._lock:
            self.total += 1

    def thread_count(self) -> int:
        return getattr(self._local, "count", 0)


def install(client: Any, counter: CallCounter | None = None) -> Any:
    """Register the guard (and the call counter) on one client and return it."""
    client.meta.events.register_first("before-call", refuse_undeclared, unique_id="cicd-audit-read-only")
    if counter is not None:
        client.meta.events.register("before-send", counter.on_send, unique_id="cicd-audit-count")
    return client
