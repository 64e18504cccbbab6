"""papermill really executes the four notebooks; a failing one stops the run and leaves old reports alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from audit.errors import AuditError, NotebookError
from audit.options import ReportOptions
from audit.report.runner import NOTEBOOKS, build_report, ensure_kernel, notebooks_dir

from .conftest import DAY


def test_every_notebook_executed_with_outputs_and_no_error(handmade_report) -> None:
    for name in NOTEBOOKS:
        nb = nbformat.read(str(handmade_report.dir / f"{name}.ipynb"), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in code), name
        assert all(o.output_type != "error" for c in code for o in c.outputs), name
        shown = [c for c in code if c.outputs]
        assert len(shown) >= 4, f"{name}: only {len(shown)} cells produced output"
        assert nb.metadata.papermill.parameters["snapshot_date"] == DAY


def test_report_dir_holds_notebooks_report_and_backlog(handmade_report) -> None:
    names = sorted(p.name for p in handmade_report.dir.iterdir())
    assert names == sorted([f"{n}.ipynb" for n in NOTEBOOKS] + ["report.html", "backlog.csv", "backlog.json",
                                                                 "backlog.md", "ranking.csv"])
    assert handmade_report.dir.name == DAY
    leftovers = [p.name for p in handmade_report.out.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def _broken_notebooks(tmp_path: Path, bad: str) -> Path:
    src = tmp_path / "notebooks"
    shutil.copytree(notebooks_dir(), src)
    nb = nbformat.read(str(src / f"{bad}.ipynb"), as_version=4)
    nb.cells.insert(5, nbformat.v4.new_code_cell("sections.no_such_section(report)"))
    nbformat.write(nb, str(src / f"{bad}.ipynb"))
    return src


def test_failing_notebook_names_notebook_and_cell_and_keeps_old_report(handmade_inventory, tmp_path) -> None:
    out = tmp_path / "reports"
    good = build_report(handmade_inventory, out, ReportOptions(snapshot_date=DAY))
    before = {p.name: p.read_bytes() for p in good.parent.iterdir()}
    broken = _broken_notebooks(tmp_path, "03_rank_work_items")
    with pytest.raises(NotebookError) as info:
        build_report(handmade_inventory, out, ReportOptions(snapshot_date=DAY, notebooks_dir=broken))
    err = info.value
    assert err.exit_code == 1
    assert err.notebook == "03_rank_work_items" and err.cell == 5
    msg = str(err)
    assert "03_rank_work_items.ipynb" in msg and "cell 5" in msg and "no_such_section" in msg
    assert "AttributeError" in msg
    # the earlier report of the same day is byte-for-byte untouched, the failed run is kept aside
    assert {p.name: p.read_bytes() for p in good.parent.iterdir()} == before
    kept = out / f".failed-{DAY}"
    assert (kept / "03_rank_work_items.ipynb").exists() and not (kept / "04_lead_meeting_report.ipynb").exists()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [DAY]


def test_kernel_check() -> None:
    ensure_kernel("python3")
    with pytest.raises(AuditError, match="not installed"):
        ensure_kernel("no-such-kernel-xyz")


def test_separate_kernels_give_the_same_outputs(handmade_inventory, handmade_report, tmp_path) -> None:
    """Sharing one kernel between notebooks is an optimisation only: the meeting notebook comes out the same."""
    from audit.report.runner import REPORT_NOTEBOOK, run_notebooks

    params = {"snapshot_date": DAY, "inventory_dir": str(handmade_inventory), "config_dir": str(handmade_inventory),
              "output_dir": str(tmp_path), "capacity_days": 0.0, "export_all": False}
    (single,) = run_notebooks(params, tmp_path, names=[REPORT_NOTEBOOK], shared_kernel=False)
    shared = nbformat.read(str(handmade_report.dir / f"{REPORT_NOTEBOOK}.ipynb"), as_version=4)
    alone = nbformat.read(str(single), as_version=4)

    def kinds(nb):
        return [sorted(o.get("data", {})) for c in nb.cells if c.cell_type == "code" for o in c.outputs]

    assert kinds(alone) == kinds(shared)
    texts = [o["data"]["text/html"] for c in alone.cells if c.cell_type == "code" for o in c.outputs
             if "text/html" in o.get("data", {}) and "plotly-graph-div" not in o["data"]["text/html"]]
    theirs = [o["data"]["text/html"] for c in shared.cells if c.cell_type == "code" for o in c.outputs
              if "text/html" in o.get("data", {}) and "plotly-graph-div" not in o["data"]["text/html"]]
    assert texts == theirs  # tables and text identical (figure divs differ only by their random ids)
