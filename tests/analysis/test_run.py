"""`cicd-audit analyze` end to end on a written snapshot: every table, declared columns, a summary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
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
    assert "The pick within 30 person-days" in err and "7 units" in err
    for name in ANALYSIS_TABLES:
        path = snapshot.path / "analysis" / f"{name}.parquet"
        assert path.exists(), name
        assert pq.read_schema(path).names == TABLES[name].column_names
    con = open_duckdb(snapshot)
    assert con.execute("SELECT count(*) FROM units").fetchone()[0] == 7
    top = con.execute("SELECT item_id, why FROM ranking WHERE rank = 1").fetchone()
    assert top[1].startswith("Covers")
    assert con.execute("SELECT count(*) FROM ranking").fetchone()[0] == 14


def test_analyze_an_almost_empty_snapshot(tmp_path):
    """One account, nothing in it: every table is written, nothing crashes, nothing is invented."""
    from audit.analysis.run import analyze

    from .inventory import write

    snap = write(tmp_path / "inv", "2026-02-01", {"accounts": [
        {"account_id": "999999999999", "client": "zulu", "teams": ["web"], "status": "ok"}]})
    out = analyze(snap, CATALOG, {})
    assert out["units"].empty and out["patterns"].empty and out["similarity"].empty
    assert (out["ranking"]["units"] <= 1).all()  # only account-level items can match an empty account
    d = out["delivery"].set_index(["level", "key"])
    assert pd.isna(d.loc[("client", "zulu"), "deploys"])  # no history source at all: unknown
    assert sorted(p.stem for p in (snap.path / "analysis").glob("*.parquet")) == sorted(out)


def test_analyze_reads_no_survey_beside_the_catalog(snapshot):
    """inventory/survey/ beside the shipped catalog is the demo fleet's: without --survey, no surveys."""
    from audit.analysis.run import analyze_command

    assert (CATALOG.parent / "survey").is_dir()
    out = analyze_command(snapshot.path, CATALOG)
    teams = out["delivery"].query("level == 'team'")
    assert set(teams["key"]) == {"web", "data", "ops"}  # the demo surveys' java team would be a phantom
    assert teams["sprint_end_releases"].isna().all()  # no calendar was given: unknown
