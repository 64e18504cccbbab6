"""`cicd-audit query`: read-only SQL over one snapshot or all, crawl and analysis tables alike."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from audit.errors import ConfigError
from audit.store import write_snapshot
from audit.store.query import run_query, write_result
from audit.store.snapshots import open_duckdb, write_analysis

WEEKS = ("2026-11-16", "2026-11-23")


def _account(account_id: str, client: str, status: str) -> dict:
    return {"account_id": account_id, "client": client, "teams": ["payments"], "tags": "{}", "role_arn": "",
            "regions": ["eu-west-1"], "status": status, "error_count": 0, "calls": 7, "seconds": 1.0}


def _unit(account_id: str, name: str, fingerprint: str) -> dict:
    return {"unit_id": f"{account_id}/eu-west-1/pipeline/{name}", "account_id": account_id, "client": "acme",
            "region": "eu-west-1", "team": "payments", "kind": "pipeline", "name": name,
            "fingerprint": fingerprint, "family": "image -> ecs"}


@pytest.fixture()
def inventory(tmp_path: Path) -> Path:
    """Two weekly snapshots, each with crawl tables and an analysis beside them."""
    for week, status in zip(WEEKS, ("partial", "ok"), strict=True):
        snap = write_snapshot(tmp_path, week, {"accounts": [_account("111111111111", "acme", status),
                                                            _account("222222222222", "globex", "ok")]},
                              section="crawl")
        write_analysis(snap, {"units": [_unit("111111111111", "web", f"github -> gha ({week})")]})
    return tmp_path


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audit", "query", *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_one_snapshot_joins_crawl_and_analysis_tables(inventory: Path) -> None:
    got = run_query("SELECT a.client, u.name, u.fingerprint FROM accounts a JOIN units u USING (account_id)",
                    inventory).to_pylist()
    assert got == [{"client": "acme", "name": "web", "fingerprint": f"github -> gha ({WEEKS[-1]})"}]
    older = run_query("SELECT status FROM accounts WHERE client = 'acme'", inventory, day=WEEKS[0]).to_pylist()
    assert older == [{"status": "partial"}]


def test_all_snapshots_carry_snapshot_date_and_keep_the_sql_order(inventory: Path) -> None:
    got = run_query("SELECT snapshot_date, status FROM accounts WHERE client = 'acme' ORDER BY snapshot_date DESC",
                    inventory, all_snapshots=True).to_pylist()
    assert [(str(r["snapshot_date"]), r["status"]) for r in got] == [(WEEKS[1], "ok"), (WEEKS[0], "partial")]
    units = run_query("SELECT count(*) AS n FROM units", inventory, all_snapshots=True).to_pylist()
    assert units == [{"n": 2}]


def test_open_duckdb_over_the_root_has_the_analysis_tables_too(inventory: Path) -> None:
    con = open_duckdb(root=inventory)
    assert con.execute("SELECT count(DISTINCT snapshot_date) FROM units").fetchone() == (2,)


@pytest.mark.parametrize(("sql", "where", "says"), [
    ("SELECT *\nFORM accounts", "line 2, column 6", "syntax error"),
    ("SELECT client,\n       nope FROM accounts", "line 2, column 8", "nope"),
    ("SELECT * FROM no_such_table", "line 1, column 15", "no_such_table"),
])
def test_bad_sql_names_line_and_column(inventory: Path, sql: str, where: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        run_query(sql, inventory)
    assert where in str(err.value) and says in str(err.value)


@pytest.mark.parametrize(("sql", "says"), [
    ("SELECT * FROM read_text('/etc/passwd')", "read_text"),
    ("SELECT * FROM '/etc/passwd'", "a file or URL"),
    ("COPY accounts TO '/tmp/out.csv'", "COPY"),
    ("CREATE TABLE x AS SELECT 1", "CREATE"),
    ("SELECT 1; SELECT 2", "exactly one"),
])
def test_the_query_can_neither_read_files_nor_write(inventory: Path, sql: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        run_query(sql, inventory)


def test_a_runaway_query_stops_at_the_time_limit(inventory: Path) -> None:
    endless = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT max(n) FROM r"
    with pytest.raises(ConfigError, match=r"ran longer than the time limit of 1 s \(--time-limit\)"):
        run_query(endless, inventory, seconds=1)


def test_formats_round_trip(inventory: Path) -> None:
    table = run_query("SELECT client, teams, calls FROM accounts ORDER BY client", inventory)
    out = io.StringIO()
    write_result(table, "json", out)
    assert json.loads(out.getvalue()) == [{"client": "acme", "teams": ["payments"], "calls": 7},
                                          {"client": "globex", "teams": ["payments"], "calls": 7}]
    out = io.StringIO()
    write_result(table, "csv", out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["client", "teams", "calls"], ["acme", '["payments"]', "7"], ["globex", '["payments"]', "7"]]


def test_cli_prints_the_result_and_exits_2_on_bad_sql_with_nothing_on_stdout(inventory: Path) -> None:
    ok = _cli("SELECT client FROM accounts ORDER BY client", "--snapshot", str(inventory), "--format", "csv")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == ["client", "acme", "globex"]
    table = _cli("-", "--snapshot", str(inventory), "--all", stdin="SELECT snapshot_date, client FROM accounts")
    assert table.returncode == 0 and "2026-11-16" in table.stdout and "4 rows" in table.stdout, table.stderr
    bad = _cli("SELECT client FROM accounts WHERE", "--snapshot", str(inventory))
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("cicd-audit: error: query: SQL does not parse") and "line 1, column" in bad.stderr
