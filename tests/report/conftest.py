"""Report fixtures: a hand-built inventory and the report papermill really builds from it (once per session)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from .handmade import build_inventory

DAY = "2026-11-23"


@dataclass
class BuiltReport:
    inventory: Path
    out: Path
    report: Path

    @property
    def dir(self) -> Path:
        return self.report.parent


@pytest.fixture(scope="session")
def handmade_inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("handmade-inventory")
    build_inventory(root, DAY)
    return root


@pytest.fixture(scope="session")
def handmade_report(handmade_inventory: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltReport:
    """All four notebooks executed by papermill on the hand-built inventory, exported and the backlog written."""
    from audit.options import ReportOptions
    from audit.report.runner import build_report

    out = tmp_path_factory.mktemp("handmade-reports")
    report = build_report(handmade_inventory, out, ReportOptions(snapshot_date=DAY))
    return BuiltReport(handmade_inventory, out, report)
