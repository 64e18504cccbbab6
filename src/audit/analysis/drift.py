"""What changed since the last good snapshot: accounts, units, fingerprints and ranking positions.

A snapshot in which no account could be crawled, or that has no crawl at all (only a scan), says
nothing about what changed: drift skips it and compares with the newest older snapshot that has at
least one crawled account, and `drift_summary` says which one and what it skipped. A snapshot that
is itself not good is compared with nothing. The previous snapshot's own analysis tables are used
when present; `audit.analysis.run` recomputes them (with the current catalog) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from audit.analysis.frames import conform
from audit.analysis.vocab import fingerprint_changes
from audit.store.outcome import GOOD
from audit.store.snapshots import Snapshot, complete_snapshots

_WHY_NOT = {"all-failed": "no account could be crawled", "empty": "the crawl had no account to read",
            "no-crawl": "no crawl, only a scan"}


def crawl_outcome(snapshot: Snapshot) -> str:
    """The snapshot's crawl outcome (`audit.store.outcome`), or `no-crawl` when only a scan made it.

    A crawl that recorded no account counts (older snapshots) counts as good, as before.
    """
    if not (snapshot.manifest.get("sections") or {}).get("crawl"):
        return "no-crawl"
    return snapshot.outcome or "ok"


@dataclass(frozen=True)
class DriftBasis:
    """What this snapshot's drift compares with: the last good older snapshot, and what it skipped."""

    outcome: str
    previous: Snapshot | None
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def compared(self) -> Snapshot | None:
        """The snapshot drift is computed against (none when this snapshot itself is not good)."""
        return self.previous if self.outcome in GOOD else None

    def summary(self) -> str:
        skipped = "; ".join(f"{day} skipped: {_WHY_NOT[o]}" for day, o in self.skipped)
        if self.outcome not in GOOD:
            against = f" with {self.previous.date}" if self.previous else ""
            return f"Not compared{against}: {_WHY_NOT[self.outcome]} in this snapshot."
        if self.previous is None:
            return (f"Nothing to compare with: no earlier snapshot has a crawled account ({skipped})." if skipped
                    else "First snapshot: nothing to compare with yet.")
        if skipped:
            return f"Compared with {self.previous.date}, the last good snapshot ({skipped})."
        return f"Compared with {self.previous.date}, the previous snapshot."

    def frame(self) -> pd.DataFrame:
        """The one-row `drift_summary` table."""
        return conform("drift_summary", pd.DataFrame([{
            "compared_with": self.compared.date if self.compared else None, "outcome": self.outcome,
            "skipped": [day for day, _ in self.skipped], "summary": self.summary()}]))


def drift_basis(snapshot: Snapshot) -> DriftBasis:
    """The newest older complete snapshot with at least one crawled account, and the ones passed over.

    The store already leaves a crawl where every account failed out of its listing (it is published
    incomplete); snapshots that are listed but not good (a scan only, older all-failed ones) are
    skipped here and named.
    """
    older = [s for s in complete_snapshots(snapshot.path.parent.parent) if s.date < snapshot.date]
    skipped: list[tuple[str, str]] = []
    for candidate in reversed(older):
        outcome = crawl_outcome(candidate)
        if outcome in GOOD:
            return DriftBasis(crawl_outcome(snapshot), candidate, tuple(skipped))
        skipped.append((candidate.date, outcome))
    return DriftBasis(crawl_outcome(snapshot), None, tuple(skipped))


def _rows(kind: str, keys, before, after, details) -> pd.DataFrame:
    return pd.DataFrame({"kind": kind, "key": list(keys), "before": list(before), "after": list(after),
                         "detail": list(details)})


def _s(v) -> str | None:
    return None if v is None or (isinstance(v, float) and v != v) else str(v)


def _unit_names(*frames: pd.DataFrame) -> dict[str, str]:
    """unit_id -> 'client: kind name', from the newest frame that has the unit."""
    out: dict[str, str] = {}
    for units in frames:
        for uid, client, kind, name in zip(units["unit_id"], units["client"], units["kind"], units["name"],
                                           strict=True):
            out.setdefault(uid, f"{client or 'unknown client'}: {kind} {name}")
    return out


def drift(accounts: pd.DataFrame, units: pd.DataFrame, ranking: pd.DataFrame,
          prev_accounts: pd.DataFrame, prev_units: pd.DataFrame, prev_ranking: pd.DataFrame) -> pd.DataFrame:
    """The `drift` table (kind, key, before, after, detail); keys are account ids, unit ids and item ids,
    `detail` says it in words (client and unit names, the parts of a fingerprint that changed)."""
    parts = []
    cur_acc = dict(zip(accounts["account_id"], accounts["client"], strict=True))
    old_acc = dict(zip(prev_accounts["account_id"], prev_accounts["client"], strict=True))
    added = sorted(set(cur_acc) - set(old_acc))
    removed = sorted(set(old_acc) - set(cur_acc))
    parts.append(_rows("account-added", added, [None] * len(added), [cur_acc[a] for a in added],
                       [f"{cur_acc[a]} ({a}) crawled for the first time" for a in added]))
    parts.append(_rows("account-removed", removed, [old_acc[a] for a in removed], [None] * len(removed),
                       [f"{old_acc[a]} ({a}) no longer crawled" for a in removed]))
    names = _unit_names(units, prev_units)
    cur = units[["unit_id", "fingerprint"]].drop_duplicates("unit_id").set_index("unit_id")["fingerprint"]
    old = prev_units[["unit_id", "fingerprint"]].drop_duplicates("unit_id").set_index("unit_id")["fingerprint"]
    new_ids = cur.index.difference(old.index)
    gone_ids = old.index.difference(cur.index)
    parts.append(_rows("unit-added", new_ids, [None] * len(new_ids), cur.loc[new_ids],
                       [f"new {names[u]} ({cur[u]})" for u in new_ids]))
    parts.append(_rows("unit-removed", gone_ids, old.loc[gone_ids], [None] * len(gone_ids),
                       [f"{names[u]} is gone" for u in gone_ids]))
    both = cur.index.intersection(old.index)
    changed = both[(cur.loc[both].fillna("") != old.loc[both].fillna("")).to_numpy()]
    parts.append(_rows("fingerprint-changed", changed, old.loc[changed], cur.loc[changed],
                       [f"{names[u]}: {', '.join(fingerprint_changes(old[u], cur[u]))}" for u in changed]))
    now = dict(zip(ranking["item_id"], ranking["rank"], strict=True))
    was = dict(zip(prev_ranking["item_id"], prev_ranking["rank"], strict=True))
    titles = {**dict(zip(prev_ranking["item_id"], prev_ranking["title"], strict=True)),
              **dict(zip(ranking["item_id"], ranking["title"], strict=True))}
    moved = sorted(i for i in set(now) | set(was) if _s(now.get(i)) != _s(was.get(i)))

    def said(item: str) -> str:
        if item not in was:
            return f"{titles[item]}: new in the ranking at #{now[item]}"
        if item not in now:
            return f"{titles[item]}: no longer matches anything (was #{was[item]})"
        return f"{titles[item]}: #{was[item]} → #{now[item]}"

    parts.append(_rows("rank-moved", moved, [_s(was.get(i)) for i in moved], [_s(now.get(i)) for i in moved],
                       [said(i) for i in moved]))
    return conform("drift", pd.concat(parts, ignore_index=True))
