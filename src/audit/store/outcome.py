"""What a crawl achieved, and when its snapshot may replace the same day's: never better with worse.

The crawl section of a snapshot's manifest records an `outcome` (also copied to the top level):

    ok          every account was crawled (status ok or partial: errors inside an account are data)
    partial     some accounts failed (AssumeRole refused, no credentials, endpoint down, ...)
    all-failed  every account failed: the snapshot holds no AWS data
    empty       the crawl had no account to read

A snapshot whose crawl is `all-failed` or `empty` is published as not complete (readers skip it)
and never replaces a complete snapshot of the same day; a `partial` crawl replaces a same-day
snapshot with good AWS data only when asked (`--replace`). Later steps tell a good snapshot
(`ok`, `partial`) from a bad one with `snapshot_outcome`; a snapshot without a crawl section (a
scan only) has no outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

Outcome = Literal["ok", "partial", "all-failed", "empty"]
GOOD: frozenset[str] = frozenset({"ok", "partial"})  # the snapshot holds AWS data worth comparing with
BAD: frozenset[str] = frozenset({"all-failed", "empty"})


def crawl_outcome(statuses: Iterable[str]) -> Outcome:
    """The outcome of a crawl from its accounts' statuses (`ok`, `partial`, `failed`)."""
    statuses = list(statuses)
    failed = statuses.count("failed")
    if not statuses:
        return "empty"
    if failed == len(statuses):
        return "all-failed"
    return "partial" if failed else "ok"


def snapshot_outcome(manifest: Mapping[str, Any]) -> str | None:
    """The crawl outcome a manifest records; derived from the account counts for older manifests."""
    crawl = (manifest.get("sections") or {}).get("crawl")
    if not crawl:
        return None
    if crawl.get("outcome"):
        return str(crawl["outcome"])
    total, failed = crawl.get("accounts_total"), crawl.get("accounts_failed")
    if total is None or failed is None:
        return None
    return crawl_outcome(["failed"] * int(failed) + ["ok"] * (int(total) - int(failed)))


def is_complete(manifest: Mapping[str, Any]) -> bool:
    """A snapshot is complete unless the crawl that published it recorded that it read no AWS data."""
    crawl = (manifest.get("sections") or {}).get("crawl") or {}
    return crawl.get("outcome") not in BAD


def refusal(existing: Mapping[str, Any] | None, new: str | None, *, replace: bool) -> str | None:
    """Why a crawl with outcome `new` must not replace the same day's snapshot, or None if it may."""
    if new is None or not existing or existing.get("complete") is not True:
        return None
    old = snapshot_outcome(existing)
    if old not in GOOD:
        return None  # nothing good to lose
    if new in BAD:
        return f"every account failed ({new}); today's snapshot ({old}) is kept unchanged"
    if new == "partial" and not replace:
        return (f"some accounts failed; today's snapshot ({old}) is kept unchanged "
                "(--replace publishes this crawl anyway)")
    return None
