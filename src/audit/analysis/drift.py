"""What changed since the previous snapshot: accounts, units, fingerprints and ranking positions.

The previous snapshot's own analysis tables are used when present; `audit.analysis.run` recomputes
them (with the current catalog) when that snapshot was never analysed.
"""

from __future__ import annotations

import pandas as pd

from audit.analysis.frames import conform


def _rows(kind: str, keys, before, after) -> pd.DataFrame:
    return pd.DataFrame({"kind": kind, "key": list(keys), "before": list(before), "after": list(after)})


def _s(v) -> str | None:
    return None if v is None or (isinstance(v, float) and v != v) else str(v)


def drift(accounts: pd.DataFrame, units: pd.DataFrame, ranking: pd.DataFrame,
          prev_accounts: pd.DataFrame, prev_units: pd.DataFrame, prev_ranking: pd.DataFrame) -> pd.DataFrame:
    """The `drift` table (kind, key, before, after); keys are account ids, unit ids and item ids."""
    parts = []
    cur_acc = dict(zip(accounts["account_id"], accounts["client"], strict=True))
    old_acc = dict(zip(prev_accounts["account_id"], prev_accounts["client"], strict=True))
    added = sorted(set(cur_acc) - set(old_acc))
    removed = sorted(set(old_acc) - set(cur_acc))
    parts.append(_rows("account-added", added, [None] * len(added), [cur_acc[a] for a in added]))
    parts.append(_rows("account-removed", removed, [old_acc[a] for a in removed], [None] * len(removed)))
    cur = units[["unit_id", "fingerprint"]].drop_duplicates("unit_id").set_index("unit_id")["fingerprint"]
    old = prev_units[["unit_id", "fingerprint"]].drop_duplicates("unit_id").set_index("unit_id")["fingerprint"]
    new_ids = cur.index.difference(old.index)
    gone_ids = old.index.difference(cur.index)
    parts.append(_rows("unit-added", new_ids, [None] * len(new_ids), cur.loc[new_ids]))
    parts.append(_rows("unit-removed", gone_ids, old.loc[gone_ids], [None] * len(gone_ids)))
    both = cur.index.intersection(old.index)
    changed = both[(cur.loc[both].fillna("") != old.loc[both].fillna("")).to_numpy()]
    parts.append(_rows("fingerprint-changed", changed, old.loc[changed], cur.loc[changed]))
    now = dict(zip(ranking["item_id"], ranking["rank"], strict=True))
    was = dict(zip(prev_ranking["item_id"], prev_ranking["rank"], strict=True))
    moved = sorted(i for i in set(now) | set(was) if _s(now.get(i)) != _s(was.get(i)))
    parts.append(_rows("rank-moved", moved, [_s(was.get(i)) for i in moved], [_s(now.get(i)) for i in moved]))
    return conform("drift", pd.concat(parts, ignore_index=True))
