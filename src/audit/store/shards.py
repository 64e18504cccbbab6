"""Crawl shards: `crawl --shard I/N` on N runners, then `merge-snapshots` into one snapshot.

An account belongs to shard `1 + sha256(account_id) mod N`: a stable hash of the id, so the split
does not depend on the order of accounts.yaml, on discovery order or on which other accounts exist,
and every runner given the same N computes the same partition without talking to the others.

Each runner publishes an ordinary snapshot of its shard; its manifest's crawl section records
`shard: {index, count, accounts}`. `merge_shards` takes the N shard snapshots of one day and writes
the merged snapshot atomically (the crawl tables concatenated, the crawl section summed, the outcome
recomputed from every account's status). It refuses, with nothing written, unless the shards are
exactly 1..N of the same N, of the same day and accounts config, crawled with the same collectors,
and hold disjoint accounts each inside its own shard: a merged snapshot is complete by construction.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from audit.errors import ConfigError, SnapshotError
from audit.store.schema import TABLES, to_arrow
from audit.store.snapshots import Publication, Snapshot, open_snapshot, publish_crawl

FIELD = "--shard"


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (1-based, as written on the command line: 1/4 .. 4/4)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, account_id: str) -> bool:
        return shard_of(account_id, self.count) == self.index


def shard_of(account_id: str, count: int) -> int:
    """The 1-based shard of an account among `count`: a stable hash of its id (not list order)."""
    digest = hashlib.sha256(str(account_id).encode()).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str | None) -> Shard | None:
    """`I/N` with 1 <= I <= N; anything else is a ConfigError (exit 2) saying what is expected."""
    if text is None:
        return None
    index, sep, count = text.strip().partition("/")
    if not sep or not index.strip().isdigit() or not count.strip().isdigit():
        raise ConfigError(f"expected I/N (e.g. 1/4: the first of 4 runners), got {text!r}", field=FIELD)
    shard = Shard(int(index), int(count))
    if shard.count < 1 or not 1 <= shard.index <= shard.count:
        raise ConfigError(f"shard {text!r} out of range: I/N needs N >= 1 and 1 <= I <= N", field=FIELD)
    return shard


def _crawl_section(snap: Snapshot) -> dict[str, Any]:
    return dict((snap.manifest.get("sections") or {}).get("crawl") or {})


def _check(snaps: Sequence[Snapshot]) -> tuple[str, int]:
    """(day, N) of a full set of shard snapshots, or a ConfigError naming what is wrong."""
    if not snaps:
        raise ConfigError("no shard snapshots given", field="merge-snapshots")
    sections = [_crawl_section(s) for s in snaps]
    for snap, section in zip(snaps, sections, strict=True):
        if not section.get("shard"):
            raise ConfigError(f"{snap.path} is not a shard snapshot (its crawl section has no `shard`: "
                              "crawl it with --shard I/N)", field="merge-snapshots")
    days = {s.date for s in snaps}
    counts = {sec["shard"]["count"] for sec in sections}
    if len(days) != 1:
        raise ConfigError(f"shards of different days: {', '.join(sorted(days))}", field="merge-snapshots")
    if len(counts) != 1:
        raise ConfigError(f"shards of different splits: N = {', '.join(map(str, sorted(counts)))}",
                          field="merge-snapshots")
    count = counts.pop()
    indexes = sorted(sec["shard"]["index"] for sec in sections)
    missing = sorted(set(range(1, count + 1)) - set(indexes))
    twice = sorted({i for i in indexes if indexes.count(i) > 1})
    if missing or twice:
        what = "; ".join(filter(None, [missing and f"missing shard(s) {', '.join(f'{i}/{count}' for i in missing)}",
                                       twice and f"shard(s) given twice {', '.join(f'{i}/{count}' for i in twice)}"]))
        raise ConfigError(f"{what}: a merge needs exactly shards 1/{count} .. {count}/{count}", field="merge-snapshots")
    for key in ("config_hash", "collectors", "history_days", "filters"):
        values = {repr(sec.get(key)) for sec in sections}
        if len(values) != 1:
            raise ConfigError(f"shards crawled with different {key}: {', '.join(sorted(values))}",
                              field="merge-snapshots")
    seen: dict[str, int] = {}
    for section in sections:
        index = section["shard"]["index"]
        for account in section["shard"].get("accounts", []):
            if shard_of(account, count) != index or account in seen:
                raise ConfigError(f"account {account} is in shard {index}/{count} but belongs to shard "
                                  f"{shard_of(account, count)}/{count}", field="merge-snapshots")
            seen[account] = index
    return days.pop(), count


def _crawl_table(snap: Snapshot, name: str) -> pa.Table:
    path = snap.path / f"{name}.parquet"
    table = pq.read_table(path) if path.exists() else to_arrow(name, [])
    if name == "errors":  # a runner's scan errors are not the crawl's
        keep = [s == "crawl" for s in table.column("source").to_pylist()]
        table = table.filter(pa.array(keep, pa.bool_()))
    return table.select(TABLES[name].column_names).cast(TABLES[name].schema)


def merged_manifest(sections: Sequence[dict[str, Any]], count: int) -> dict[str, Any]:
    """The crawl section of the merged snapshot: counts summed, the time span, operations united."""
    first = sections[0]
    summed = {k: sum(int(s.get(k) or 0) for s in sections)
              for k in ("accounts_total", "accounts_ok", "accounts_partial", "accounts_failed", "calls",
                        "errors", "accounts_skipped")}
    operations: dict[str, set[str]] = {}
    for s in sections:
        for name, ops in (s.get("operations") or {}).items():
            operations.setdefault(name, set()).update(ops)
    return {
        **{k: first.get(k) for k in ("config_hash", "history_days", "filters", "collectors", "endpoint_url",
                                     "profile")},
        **summed,
        "started": min(s.get("started") or "" for s in sections),
        "finished": max(s.get("finished") or "" for s in sections),
        "resumed": any(s.get("resumed") for s in sections),
        "workers": sum(int(s.get("workers") or 0) for s in sections),
        "operations": {name: sorted(ops) for name, ops in sorted(operations.items())},
        "merged_shards": count,
    }


def merge_shards(paths: Sequence[str | os.PathLike], out: str | os.PathLike, *,
                 replace: bool = False) -> Publication:
    """Merge the N shard snapshots of one day into `out/snapshots/<day>/` (see module doc).

    The store's replacement rule applies as for a crawl: a merge in which some accounts failed
    replaces a same-day snapshot with good AWS data only with `replace`."""
    try:
        snaps = [open_snapshot(p) for p in paths]
    except SnapshotError as exc:
        raise ConfigError(str(exc), field="merge-snapshots") from None
    day, count = _check(snaps)
    names = sorted({name for name, t in TABLES.items() if t.source == "crawl"} | {"errors"})
    tables = {name: pa.concat_tables([_crawl_table(s, name) for s in snaps]) for name in names}
    manifest = merged_manifest([_crawl_section(s) for s in snaps], count)
    return publish_crawl(Path(out), day, tables, manifest, replace=replace)
