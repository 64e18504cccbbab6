"""Small helpers shared by the analysis modules: loading snapshot tables, list cells, arrow output.

The analysis works on plain pandas DataFrames keyed by table name (an *inventory*), so the
notebooks and tests can hand-build one without a snapshot on disk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from audit.store.schema import TABLES, empty_frame
from audit.store.snapshots import Snapshot

Inventory = dict[str, pd.DataFrame]


def load_inventory(snapshot: Snapshot, names: Iterable[str] | None = None) -> Inventory:
    """Every crawl and scan table of a snapshot as DataFrames (absent declared tables come back empty)."""
    wanted = names or [t.name for t in TABLES.values() if t.source in ("crawl", "scan")]
    return {name: snapshot.table(name) for name in wanted}


def objectify(frame: pd.DataFrame) -> pd.DataFrame:
    """String columns as plain object dtype.

    pandas 3 stores strings in arrow-backed columns whose element-wise paths (iteration, `isin`,
    python-level groupby) are ~10x slower than object columns; the analysis is full of those.
    """
    cols = [c for c, t in frame.dtypes.items() if isinstance(t, pd.StringDtype)]
    if not cols:
        return frame
    frame = frame.copy()
    for col in cols:
        frame[col] = frame[col].astype(object)
    return frame


def table(inv: Mapping[str, pd.DataFrame], name: str, *, strings: bool = True) -> pd.DataFrame:
    """`inv[name]` with every declared column present and object strings (cached back into `inv`).

    `strings=False` keeps pandas' arrow strings: for big tables only used through vectorised ops.
    """
    frame = inv.get(name)
    if frame is None or (len(frame) == 0 and len(frame.columns) == 0):
        return objectify(empty_frame(name))
    if name in TABLES:
        missing = [c for c in TABLES[name].column_names if c not in frame.columns]
        if missing:
            frame = frame.copy()
            for col in missing:
                frame[col] = None
    if not strings:
        return frame
    frame = objectify(frame)
    if isinstance(inv, dict):
        inv[name] = frame
    return frame


def as_list(value: Any) -> list:
    """A list cell (list, numpy array, None/NaN) as a Python list."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float) and value != value:
        return []
    return [value]


def notnull(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and value is not pd.NaT


def to_table(name: str, frame: pd.DataFrame) -> pa.Table:
    """A DataFrame as an arrow table with the declared schema (vectorised, unlike row-wise casts)."""
    spec = TABLES[name]
    frame = frame.reset_index(drop=True)
    arrays = []
    for col in spec.columns:
        values = frame[col.name] if col.name in frame.columns else pd.Series([None] * len(frame), dtype=object)
        if pa.types.is_list(col.type):
            arrays.append(pa.array([as_list(v) for v in values], type=col.type))
        elif pa.types.is_string(col.type):
            arrays.append(_strings(values, col.type))
        elif pa.types.is_integer(col.type):
            arrays.append(pa.array(pd.array(values, dtype="Int64"), type=col.type))
        elif pa.types.is_floating(col.type):
            arrays.append(pa.array(pd.array(values, dtype="Float64"), type=col.type))
        elif pa.types.is_boolean(col.type):
            arrays.append(pa.array(pd.array(values, dtype="boolean"), type=col.type))
        else:
            arrays.append(pa.array(values, type=col.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def _strings(values: pd.Series, type_: pa.DataType) -> pa.Array:
    """A string column to arrow without a Python round trip when pandas already holds arrow strings."""
    try:
        return pa.array(values, from_pandas=True).cast(type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        obj = values.astype(object)
        return pa.array([v if isinstance(v, str) else (None if v is None or v != v else str(v)) for v in obj],
                        type=type_)


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly the declared columns, in order (what the notebooks and tests read)."""
    return objectify(to_table(name, frame).to_pandas())
