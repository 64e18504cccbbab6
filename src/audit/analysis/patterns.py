"""Overlap between clients and teams: patterns, matrices, Jaccard similarity and drift inside a team.

All functions take the `units` table (audit.analysis.units.build_units) and return the declared
analysis tables; they are vectorised (groupby, sparse set algebra) so 100k units take well under a
second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from audit.analysis.frames import conform


def _sorted_unique(values: pd.Series) -> list[str]:
    return sorted({v for v in values if isinstance(v, str)})


def patterns(units: pd.DataFrame) -> pd.DataFrame:
    """One row per fingerprint: units, distinct clients and teams (with their lists)."""
    if units.empty:
        return conform("patterns", pd.DataFrame())
    grouped = units.groupby("fingerprint", sort=True)
    out = pd.DataFrame({
        "family": grouped["family"].first(),
        "units": grouped.size(),
        "client_list": grouped["client"].agg(_sorted_unique),
        "team_list": grouped["team"].agg(_sorted_unique),
    }).reset_index()
    out["clients"] = out["client_list"].map(len)
    out["teams"] = out["team_list"].map(len)
    out = out.sort_values(["clients", "units", "fingerprint"], ascending=[False, False, True])
    return conform("patterns", out)


def families(units: pd.DataFrame) -> pd.DataFrame:
    """The coarser level: per family (artifact -> target), units, clients, teams and fingerprints."""
    if units.empty:
        return pd.DataFrame(columns=["family", "units", "clients", "teams", "fingerprints"])
    g = units.groupby("family")
    out = pd.DataFrame({"units": g.size(), "clients": g["client"].nunique(), "teams": g["team"].nunique(),
                        "fingerprints": g["fingerprint"].nunique()}).reset_index()
    return out.sort_values(["clients", "units"], ascending=False, ignore_index=True)


def overlap(units: pd.DataFrame) -> pd.DataFrame:
    """clients x patterns and teams x patterns, long form: (dimension, key, fingerprint, family, units)."""
    frames = []
    for dim, col in (("client", "client"), ("team", "team")):
        sub = units[units[col].notna()]
        if sub.empty:
            continue
        g = sub.groupby([col, "fingerprint", "family"]).size().rename("units").reset_index()
        frames.append(g.rename(columns={col: "key"}).assign(dimension=dim))
    return conform("overlap", pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def overlap_matrix(units: pd.DataFrame, dimension: str = "client", level: str = "fingerprint") -> pd.DataFrame:
    """The wide matrix (rows = clients or teams, columns = fingerprints or families, cells = units)."""
    sub = units[units[dimension].notna()]
    return sub.pivot_table(index=dimension, columns=level, values="unit_id", aggfunc="count", fill_value=0)


def similarity(units: pd.DataFrame) -> pd.DataFrame:
    """Jaccard similarity |A∩B| / |A∪B| of every pair of clients' fingerprint sets (client_a < client_b)."""
    pairs = units.loc[units["client"].notna(), ["client", "fingerprint"]].drop_duplicates()
    if pairs.empty:
        return conform("similarity", pd.DataFrame())
    clients, ci = np.unique(pairs["client"].to_numpy(dtype=object).astype(str), return_inverse=True)
    _, fi = np.unique(pairs["fingerprint"].to_numpy(dtype=object).astype(str), return_inverse=True)
    m = np.zeros((len(clients), fi.max() + 1), dtype=np.float32)
    m[ci, fi] = 1.0
    inter = m @ m.T
    size = m.sum(axis=1)
    union = size[:, None] + size[None, :] - inter
    a, b = np.triu_indices(len(clients), k=1)
    jac = np.where(union[a, b] > 0, inter[a, b] / np.maximum(union[a, b], 1), 0.0)
    # dictionary-encoded in arrow: 2,000 clients make 2M pairs, too many for Python string objects
    names = pa.array(clients.tolist(), pa.string())
    table = pa.table({"client_a": pa.DictionaryArray.from_arrays(pa.array(a, pa.int32()), names).cast(pa.string()),
                      "client_b": pa.DictionaryArray.from_arrays(pa.array(b, pa.int32()), names).cast(pa.string()),
                      "jaccard": pa.array(jac.astype(float))})
    return table.to_pandas()


def dominant_fingerprints(units: pd.DataFrame) -> pd.DataFrame:
    """Each team's dominant fingerprint: used by most clients, then most units, then the most common
    target[strategy] among the team's units, then alphabetical."""
    sub = units[units["team"].notna() & units["client"].notna()]
    if sub.empty:
        return pd.DataFrame(columns=["team", "fingerprint", "family", "clients", "units"])
    g = sub.groupby(["team", "fingerprint", "family"]).agg(clients=("client", "nunique"), units=("unit_id", "size"),
                                                          ts=("target", "first"), st=("strategy", "first"))
    g = g.reset_index()
    # tie-break: how many of the team's units deploy the same way (target[strategy]), then by name
    how = sub.groupby(["team", "target", "strategy"]).size().rename("same_strategy").reset_index()
    g = g.merge(how, left_on=["team", "ts", "st"], right_on=["team", "target", "strategy"], how="left")
    g = g.sort_values(["team", "clients", "units", "same_strategy", "fingerprint"],
                      ascending=[True, False, False, False, True])
    return g.drop_duplicates("team")[["team", "fingerprint", "family", "clients", "units"]].reset_index(drop=True)


def team_drift(units: pd.DataFrame) -> pd.DataFrame:
    """Per (team, client): does the client deviate from the team's dominant fingerprint?

    A client deviates when none of the team's units there has the dominant fingerprint, or when one
    of them is a *variant* of it (same family, different fingerprint). Units of other families (a
    static site beside the team's ECS services) are not drift.
    """
    dom = dominant_fingerprints(units)
    if dom.empty:
        return conform("team_drift", pd.DataFrame())
    sub = units[units["team"].notna() & units["client"].notna()].copy()
    dom_fp = dict(zip(dom["team"], dom["fingerprint"], strict=True))
    dom_fam = dict(zip(dom["team"], dom["family"], strict=True))
    sub["is_dom"] = sub["fingerprint"] == sub["team"].map(dom_fp)
    sub["variant"] = (sub["family"] == sub["team"].map(dom_fam)) & ~sub["is_dom"]
    per = sub.groupby(["team", "client"]).agg(
        client_fingerprints=("fingerprint", _sorted_unique), has_dom=("is_dom", "any"),
        variant=("variant", "any")).reset_index()
    per["dominant_fingerprint"] = per["team"].map(dom_fp)
    per["deviates"] = ~per["has_dom"] | per["variant"]
    return conform("team_drift", per.sort_values(["team", "client"]))
