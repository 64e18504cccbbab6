"""The weekly report: papermill notebooks, the offline HTML export, the backlog export.

It only reads snapshots and their analysis tables (the weekly run itself is audit.pipeline).

    runner.py    papermill, in this process, one kernel for the four notebooks; atomic reports/<date>/
    export.py    nbconvert with a small offline template: report.html, plotly.js inlined once
    backlog.py   backlog.csv (Jira), backlog.md (wiki), ranking.csv
    sections.py  one function per report section (each notebook cell calls one)
    figures.py   plotly figures of the analysis tables; tables.py: escaped HTML tables

Names are imported lazily so a notebook kernel importing `sections` does not pay for nbconvert.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "NotebookError": "audit.errors", "build_report": "audit.report.runner",
    "export_report": "audit.report.export",
    "verify_offline": "audit.report.export", "write_backlog": "audit.report.backlog",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'audit.report' has no attribute {name!r}")
