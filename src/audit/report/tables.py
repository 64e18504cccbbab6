"""HTML for the report: escaped tables and small text blocks.

Every value that comes from an account, repository or resource goes through `esc` (or pandas'
escaping `to_html`) before it reaches HTML; f-strings never interpolate raw data. Unknown values
print as "unknown", never as a fake zero.
"""

from __future__ import annotations

import html as _html
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd
from IPython.display import HTML

UNKNOWN = "unknown"


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def esc(value: Any) -> str:
    """HTML-escape any value (quotes too); missing values become 'unknown'."""
    return UNKNOWN if is_missing(value) else _html.escape(str(value), quote=True)


def as_list(value: Any) -> list[str]:
    """A list-like cell (list, numpy array, None) as a list of strings."""
    if is_missing(value):
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value]
    except TypeError:
        return [str(value)]


def join_list(value: Any, limit: int = 8) -> str:
    """'a, b, c … (+5 more)': long lists stay readable on a projector (plain text, not escaped)."""
    items = as_list(value)
    if not items:
        return "—"
    shown = ", ".join(items[:limit])
    return shown + (f" … (+{len(items) - limit} more)" if len(items) > limit else "")


def plural(count: Any, word: str) -> str:
    """'1 client', '3 clients', 'unknown clients'."""
    if is_missing(count):
        return f"{UNKNOWN} {word}s"
    return f"{int(count)} {word}" + ("" if int(count) == 1 else "s")


def number(value: Any, digits: int = 0) -> str:
    if is_missing(value):
        return UNKNOWN
    return f"{float(value):,.{digits}f}"


def percent(value: Any) -> str:
    return UNKNOWN if is_missing(value) else f"{float(value):.0%}"


def hours(value: Any) -> str:
    return UNKNOWN if is_missing(value) else f"{float(value):,.1f} h"


Formatter = Callable[[Any], str]


def expandable(value: Any, limit: int = 8) -> str:
    """Escaped HTML of a list: the first `limit` items, the rest behind "+N more" that opens in place
    (and prints whole: the report's script opens every list before printing)."""
    items = [esc(v) for v in as_list(value)]
    if not items:
        return "—"
    if len(items) <= limit:
        return ", ".join(items)
    return (", ".join(items[:limit]) + f' <details class="more"><summary>+{len(items) - limit} more</summary>'
            + ", ".join(items[limit:]) + "</details>")


def html_table(df: pd.DataFrame, columns: Mapping[str, str] | None = None,
               formats: Mapping[str, Formatter] | None = None, *, empty: str = "Nothing to show.",
               css: str = "audit-table") -> HTML:
    """An escaped HTML table: `columns` maps source column -> heading (and picks the order).

    Values are turned into display strings first (numbers formatted, missing -> 'unknown') and
    escaped; list cells without a format of their own become expandable lists (`expandable`).
    """
    if df is None or df.empty:
        return HTML(f'<p class="audit-empty">{esc(empty)}</p>')
    columns = dict(columns or {c: c for c in df.columns})
    formats = dict(formats or {})
    shown = pd.DataFrame(index=range(len(df)))
    for source, heading in columns.items():
        values = df[source].tolist() if source in df.columns else [None] * len(df)
        fmt = formats.get(source)
        shown[esc(heading)] = [esc(fmt(v)) if fmt else expandable(v) if _is_list(v) else esc(_default_format(v))
                               for v in values]
    body = shown.to_html(index=False, escape=False, border=0, classes=[css], na_rep=UNKNOWN, justify="left")
    return HTML(f'<div class="audit-table-wrap">{body}</div>')


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple) or hasattr(value, "__array__") and not isinstance(value, str)


def _default_format(value: Any) -> str:
    if _is_list(value):
        return join_list(value)
    if is_missing(value):
        return UNKNOWN
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def facts(items: Iterable[tuple[str, Any] | tuple[str, Any, Any]], css: str = "audit-facts") -> str:
    """A row of big-number 'cards' (label, value[, total]), escaped; a total reads "3 of 5"."""
    cards = []
    for label, value, *total in items:
        of = f'<span class="total"> of {esc(total[0])}</span>' if total else ""
        cards.append(f'<div class="card"><div class="value">{esc(value)}{of}</div><div class="label">{esc(label)}'
                     "</div></div>")
    return f'<div class="{esc(css)}">{"".join(cards)}</div>'


def paragraph(text: str, css: str = "") -> str:
    klass = f' class="{esc(css)}"' if css else ""
    return f"<p{klass}>{esc(text)}</p>"


def bullet_list(lines: Iterable[str]) -> str:
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return f"<ul>{items}</ul>" if items else ""


def heading(text: str, level: int = 3) -> str:
    return f"<h{level}>{esc(text)}</h{level}>"


def html(*parts: str) -> HTML:
    """Join already-escaped fragments into one displayable block."""
    return HTML("".join(parts))
