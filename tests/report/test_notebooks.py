"""The committed notebooks: valid, without outputs, a tagged parameters cell, one package call per cell."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from audit.report.runner import NOTEBOOKS, notebooks_dir

NB_DIR = Path(__file__).resolve().parents[2] / "notebooks"
PARAMS = {"snapshot_date": str, "inventory_dir": str, "config_dir": str, "output_dir": str, "capacity_days": float,
          "export_all": bool}


def _read(name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(str(NB_DIR / f"{name}.ipynb"), as_version=4)
    nbformat.validate(nb)
    return nb


def test_the_four_notebooks_are_committed_and_found() -> None:
    assert sorted(p.stem for p in NB_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)
    assert notebooks_dir() == NB_DIR


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_has_no_outputs(name: str) -> None:
    for cell in _read(name).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: a code cell has committed outputs"
            assert cell.execution_count is None, f"{name}: a code cell has an execution count"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_cell_is_tagged_typed_and_helped(name: str) -> None:
    cells = [c for c in _read(name).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{name}: expected exactly one cell tagged 'parameters'"
    tree = ast.parse(cells[0].source)
    assigned = {}
    for node in tree.body:
        assert isinstance(node, ast.AnnAssign), f"{name}: parameters cell holds only typed assignments"
        assert isinstance(node.value, ast.Constant), f"{name}: no derived values in the parameters cell"
        assigned[node.target.id] = (node.annotation.id, node.value.value)
    for param, kind in PARAMS.items():
        assert param in assigned, f"{name}: parameter {param} missing"
        assert assigned[param][0] == kind.__name__ and isinstance(assigned[param][1], kind)
    for line in cells[0].source.splitlines():
        if ":" in line and "=" in line and not line.startswith("#"):
            assert "  # " in line, f"{name}: parameter without a help comment: {line}"
            assert line.count("=") == 1, f"{name}: papermill cannot parse a second '=' on: {line}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_other_cell_is_one_package_call(name: str) -> None:
    for cell in _read(name).cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        body = ast.parse(cell.source).body
        assert len(body) == 1, f"{name}: one statement per cell, got {cell.source!r}"
        node = body[0]
        if isinstance(node, ast.ImportFrom):
            assert node.module.startswith("audit."), cell.source
            continue
        call = node.value if isinstance(node, ast.Expr | ast.Assign) else None
        assert isinstance(call, ast.Call), f"{name}: a cell must call one function: {cell.source!r}"
        assert isinstance(call.func, ast.Attribute) and call.func.value.id == "sections", cell.source


def test_papermill_reads_the_parameters() -> None:
    import papermill as pm

    for name in NOTEBOOKS:
        params = pm.inspect_notebook(str(NB_DIR / f"{name}.ipynb"))
        assert set(PARAMS) <= set(params), name
        assert all(p["help"] for p in params.values()), f"{name}: papermill sees a parameter without help"
        assert params["capacity_days"]["inferred_type_name"] == "float"
