"""`cicd-audit analyze` end to end on a written snapshot: every table, declared columns, a summary."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from audit.analysis.run import ANALYSIS_TABLES
from audit.cli import main
from audit.store.schema import TABLES
from audit.store.snapshots import open_duckdb

CATALOG = Path(__file__).resolve().parents[2] / "inventory" / "catalog.yaml"


def test_analyze_command_writes_every_table(tmp_path, snapshot, capsys):
    survey = tmp_path / "survey"
    survey.mkdir()
    (survey / "web.yaml").write_text("team: web\nsprint: {length_days: 14, anchor: 2026-01-05}\n"
                                     "manual_steps: [{name: deploy, minutes: 30}]\n")
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "--snapshot", str(snapshot.path.parent.parent), "--catalog", str(CATALOG),
              "--survey", str(survey), "--top-n", "5"])
    assert exc.value.code == 0
    err = capsys.readouterr().err
    assert "Top work items" in err and "7 units" in err
    for name in ANALYSIS_TABLES:
        path = snapshot.path / "analysis" / f"{name}.parquet"
        assert path.exists(), name
        assert pq.read_schema(path).names == TABLES[name].column_names
    con = open_duckdb(snapshot)
    assert con.execute("SELECT count(*) FROM units").fetchone()[0] == 7
    top = con.execute("SELECT item_id, why FROM ranking WHERE rank = 1").fetchone()
    assert top[1].startswith("Covers")
    assert con.execute("SELECT count(*) FROM ranking").fetchone()[0] == 14
