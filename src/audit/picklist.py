"""The one pick list: the sort key, the build order and the pick within a capacity, as arrays.

The analysis ranks with it, its Monte Carlo re-runs it, and the report re-picks with it for another
capacity, so all of them sort the same way (docs/catalog.md, "The pick list"). Ground: it knows
nothing of the project's tables, only item ids, prerequisites, cost of delay and effort.

    wsjf      cost of delay / effort (0 for an item that covers nothing)
    pick_key  max(own WSJF, pick_key of every item that needs it): a prerequisite is worth what it
              unblocks, so the key never increases along the build order
    order     pick_key descending, ties: prerequisites first (a fixed topological position)
    pick      the build-order prefix whose cumulative effort fits the capacity (key > 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

NOISE = 0.3


def _ids(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


@dataclass(frozen=True)
class PickPlan:
    """The one pick list as arrays, so the ranking, the Monte Carlo and the report all sort the same way.

    Works on (runs x items) matrices of cost of delay and effort; `topo` is a fixed topological
    position per item (prerequisites before what needs them), the tie-break of the sort.
    """

    covered: np.ndarray
    deps: tuple[tuple[int, ...], ...]  # per item: the positions of its prerequisites
    topo: np.ndarray

    @classmethod
    def of(cls, ranking: pd.DataFrame) -> PickPlan:
        ids = [str(i) for i in ranking["item_id"]]
        index = {i: k for k, i in enumerate(ids)}
        deps = tuple(tuple(index[d] for d in _ids(ds) if d in index) for ds in ranking["depends_on"])
        seq = dependency_order(ids, [[ids[d] for d in ds] for ds in deps], np.zeros(len(ids)))
        pos = {i: k for k, i in enumerate(seq)}
        return cls(ranking["units"].to_numpy() > 0, deps, np.array([pos[i] for i in ids], dtype=float))

    def wsjf(self, cod: np.ndarray, effort: np.ndarray) -> np.ndarray:
        return np.where(self.covered[None, :], cod / np.maximum(effort, 1e-3), 0.0)

    def run(self, cod: np.ndarray, effort: np.ndarray, capacity_days: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pick_key, build order as item positions, picked) for each run (row)."""
        key = self.wsjf(cod, effort)
        for i in np.argsort(-self.topo, kind="stable"):  # dependents first: each passes its key down
            for d in self.deps[i]:
                key[:, d] = np.maximum(key[:, d], key[:, i])
        topo = np.broadcast_to(self.topo, key.shape)
        order = np.lexsort((topo, -key), axis=-1)
        eff_sorted = np.take_along_axis(effort, order, axis=1)
        fits = (np.cumsum(eff_sorted, axis=1) <= capacity_days + 1e-9) & (np.take_along_axis(key, order, axis=1) > 0)
        fits = np.cumprod(fits, axis=1).astype(bool)  # a prefix: the pick stops at the first item that does not fit
        picked = np.zeros_like(fits)
        np.put_along_axis(picked, order, fits, axis=1)
        return key, order, picked

    def share(self, cod: np.ndarray, effort: np.ndarray, capacity_days: float, *, seed: int = 7,
              runs: int = 1000, noise: float = NOISE) -> np.ndarray:
        """Share of Monte Carlo runs (hours and effort each x U(1-noise, 1+noise)) an item is in the pick."""
        n = len(cod)
        if n == 0:
            return np.zeros(0)
        rng = np.random.default_rng(seed)
        c = cod[None, :] * rng.uniform(1 - noise, 1 + noise, (runs, n))
        e = effort[None, :] * rng.uniform(1 - noise, 1 + noise, (runs, n))
        return self.run(c, e, capacity_days)[2].mean(axis=0)


def pick_list(ranking: pd.DataFrame, capacity_days: float, *, seed: int = 7, runs: int = 1000) -> pd.DataFrame:
    """The ranking re-picked for another capacity (the report's parameter): `picked`, `pick_share` recomputed.

    The build order does not depend on the capacity, only where the pick stops.
    """
    if ranking.empty:
        return ranking
    df = ranking.sort_values("rank", kind="stable").reset_index(drop=True)
    plan = PickPlan.of(df)
    cod, eff = df["cost_of_delay"].to_numpy(float), df["effort_days"].to_numpy(float)
    df["picked"] = plan.run(cod[None, :], eff[None, :], capacity_days)[2][0]
    df["pick_share"] = plan.share(cod, eff, capacity_days, seed=seed, runs=runs)
    df["capacity_days"] = float(capacity_days)
    return df


def dependency_order(items: list[str], depends_on: list[list[str]], value: np.ndarray) -> list[str]:
    """Topological order, greedy by value among items whose prerequisites are all placed."""
    deps = {i: set(d) for i, d in zip(items, depends_on, strict=True)}
    val = dict(zip(items, value, strict=True))
    done: list[str] = []
    left = set(items)
    while left:
        ready = [i for i in left if deps[i] <= set(done)]
        if not ready:  # cycles are rejected by the catalog; never loop forever
            ready = list(left)
        best = min(ready, key=lambda i: (-val[i], i))
        done.append(best)
        left.remove(best)
    return done


__all__ = ["NOISE", "PickPlan", "dependency_order", "pick_list"]
