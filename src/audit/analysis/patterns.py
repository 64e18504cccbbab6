"""Overlap between clients and teams: patterns, matrices, Jaccard similarity and drift inside a team.

All functions take the `units` table (audit.analysis.units.build_units) and return the declared
analysis tables; they are vectorised (groupby, sparse set algebra) so 100k units take well under a
second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from audit.analysis.frames import as_list, conform


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


PARTS = ("source", "build", "artifact", "iac", "target", "strategy", "gates")
UNKNOWN = "unknown"


def _differences(dominant: dict[str, object], unit: dict[str, object]) -> list[str]:
    """'part: dominant -> unit' for each part that differs; an unknown part differs from nothing."""
    out = []
    for part in PARTS:
        a = dominant.get(part) if isinstance(dominant.get(part), str) else "none"
        b = unit.get(part) if isinstance(unit.get(part), str) else "none"
        if a != b and UNKNOWN not in (a, b):
            out.append(f"{part}: {a} -> {b}")
    return out


def team_drift(units: pd.DataFrame, accounts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per (team, client): does the client deviate from the team's dominant fingerprint, and in what?

    A client deviates (`status` drifts) when none of the team's units there has the dominant
    fingerprint, or when one of them is a *variant* of it (same family, a known part differs; a part
    that is `unknown` differs from nothing); units of other families (a static site beside the team's
    ECS services) are not drift. `differences` names the parts that differ ('strategy: rolling ->
    blue-green'), or the family when the team's family is not there at all. Units no team could be attributed to are one `unattributed` row per
    client (team null), and a client whose crawl failed is `not crawled` for each of its teams: none
    of them is silently dropped.
    """
    dom = dominant_fingerprints(units)
    rows = []
    if not dom.empty:
        sub = units[units["team"].notna() & units["client"].notna()].copy()
        dom_fp = dict(zip(dom["team"], dom["fingerprint"], strict=True))
        dom_fam = dict(zip(dom["team"], dom["family"], strict=True))
        parts = list(PARTS)
        exact = sub["fingerprint"] == sub["team"].map(dom_fp)
        dom_parts = {t: dict(zip(parts, r, strict=True)) for t, r in
                     zip(sub.loc[exact, "team"], sub.loc[exact, parts].itertuples(index=False), strict=True)}
        same_family = (sub["family"] == sub["team"].map(dom_fam)).tolist()
        # a unit that differs from the dominant only where it is unknown is not evidence of drift
        diffs = [_differences(dom_parts.get(t, {}), dict(zip(parts, r, strict=True))) if fam else []
                 for t, fam, r in zip(sub["team"], same_family, sub[parts].itertuples(index=False), strict=True)]
        sub["diffs"] = diffs
        sub["is_dom"] = [fam and not d for fam, d in zip(same_family, diffs, strict=True)]
        sub["variant"] = [fam and bool(d) for fam, d in zip(same_family, diffs, strict=True)]
        for (team, client), g in sub.groupby(["team", "client"], sort=True):
            has_dom, variant = bool(g["is_dom"].any()), bool(g["variant"].any())
            deviates = not has_dom or variant
            found: list[str] = []
            for d in (g.loc[g["variant"], "diffs"] if variant else []):
                found += [x for x in d if x not in found]
            if deviates and not variant:  # none of the team's family here: say what it runs instead
                found = [f"family: {dom_fam[team]} -> {f}" for f in _sorted_unique(g["family"])]
            rows.append({"team": team, "client": client, "dominant_fingerprint": dom_fp[team],
                         "client_fingerprints": _sorted_unique(g["fingerprint"]), "deviates": deviates,
                         "status": "drifts" if deviates else "follows", "differences": found})
    lost = units[units["team"].isna() & units["client"].notna()]
    for client, g in lost.groupby("client", sort=True):
        rows.append({"team": None, "client": client, "dominant_fingerprint": None,
                     "client_fingerprints": _sorted_unique(g["fingerprint"]), "deviates": None,
                     "status": "unattributed", "differences": []})
    if accounts is not None and len(accounts):
        dom_fp = dict(zip(dom["team"], dom["fingerprint"], strict=True)) if not dom.empty else {}
        failed = accounts[accounts["status"] == "failed"]
        for client, teams in zip(failed["client"], failed["teams"], strict=True):
            for team in sorted(as_list(teams)) or [None]:
                rows.append({"team": team, "client": client, "dominant_fingerprint": dom_fp.get(team),
                             "client_fingerprints": [], "deviates": None, "status": "not crawled",
                             "differences": []})
    return conform("team_drift", pd.DataFrame(rows))
