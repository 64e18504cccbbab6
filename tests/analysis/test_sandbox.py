"""Catalog rules run sandboxed: every escape and every bomb is exit 2 with file, line and item id,
within the rule time limit, and the analysis written before stays byte-identical.

Each hostile rule is tried twice: through `cicd-audit analyze` (the static checks usually stop it
first) and straight in the run-time sandbox with the static checks skipped, so both layers are shown
to hold on their own. Timings go to stdout (`pytest -s`) for the issue's closing note.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from audit.analysis.frames import load_inventory
from audit.cli import main
from audit.config.catalog import load_catalog
from audit.errors import ConfigError
from audit.store.sandbox import Rule, Sandbox
from audit.store.schema import to_arrow
from audit.store.snapshots import Snapshot

from .inventory import inventory_tables, write

LIMIT_S = 1
GOOD = """\
  - id: good-item
    title: A rule that behaves
    applies_to: SELECT account_id, unit_id FROM units
    effort: {fixed_days: 1}
"""


@pytest.fixture
def listener() -> Iterator[tuple[str, list]]:
    """A TCP port on 127.0.0.1 that records every connection (there must be none)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    seen: list = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, addr = server.accept()
            except OSError:
                continue
            seen.append(addr)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/rows.csv", seen
    stop.set()
    thread.join()
    server.close()


@pytest.fixture
def other_inventory(tmp_path: Path) -> Path:
    """Another client's inventory on the same machine: a rule must not read its parquet."""
    return write(tmp_path / "other", "2026-01-01", inventory_tables()).path / "iam_roles.parquet"


def _cases(url: str, other: Path) -> dict[str, str]:
    return {
        "proc-environ": "SELECT 'x' AS account_id, content AS unit_id FROM read_text('/proc/self/environ')",
        "etc-passwd": "SELECT account_id, unit_id FROM units\n      UNION ALL SELECT 'x', content FROM read_text('/etc/passwd')",
        "other-snapshot": f"SELECT account_id, arn AS unit_id FROM read_parquet('{other}')",
        "other-snapshot-path": f"SELECT account_id, arn AS unit_id FROM '{other}'",
        "http-url": f"SELECT account_id, unit_id FROM read_csv('{url}')",
        "recursive-cte": ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)\n"
                          "      SELECT CAST(n AS VARCHAR) AS account_id, CAST(n AS VARCHAR) AS unit_id FROM r"),
        "cross-join": "SELECT u.account_id, u.unit_id FROM units u, range(100000) a, range(100000) b",
        "row-cap": ("SELECT CAST(range AS VARCHAR) AS account_id, CAST(range AS VARCHAR) AS unit_id "
                    "FROM range(1000001)"),
    }


EXPECT = {"proc-environ": "read_text", "etc-passwd": "read_text", "other-snapshot": "read_parquet",
          "other-snapshot-path": "a file or URL", "http-url": "read_csv() on 'http://127.0.0.1",
          "recursive-cte": f"time limit of {LIMIT_S:g} s", "cross-join": f"time limit of {LIMIT_S:g} s",
          "row-cap": "more than 1,000,000 rows"}


def _catalog(path: Path, item: str, sql: str, limit: float = LIMIT_S) -> Path:
    body = "\n".join("      " + line.strip() for line in sql.splitlines())
    path.write_text(f"version: 1\nrule_time_limit_seconds: {limit}\nitems:\n{GOOD}"
                    f"  - id: {item}\n    title: A hostile rule\n    applies_to: |\n{body}\n"
                    "    effort: {fixed_days: 1}\n")
    return path


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-built snapshot analysed once with a well-behaved catalog (copied by each test)."""
    base = tmp_path_factory.mktemp("analysed")
    snap = write(base / "inv", "2026-02-01", inventory_tables())
    good = base / "good.yaml"
    good.write_text(f"version: 1\nitems:\n{GOOD}")
    with pytest.raises(SystemExit) as ok:
        main(["analyze", "--snapshot", str(snap.path), "--catalog", str(good)])
    assert ok.value.code == 0 and (snap.path / "analysis" / "ranking.parquet").exists()
    return base / "inv"


@pytest.mark.parametrize("case", list(EXPECT))
def test_hostile_rule_fails_exit_2_and_keeps_the_earlier_analysis(case, tmp_path, analysed, listener,
                                                                   other_inventory, capsys):
    url, connections = listener
    shutil.copytree(analysed, tmp_path / "inv")
    snapshot = Snapshot(tmp_path / "inv" / "snapshots" / "2026-02-01")
    before = _files(snapshot.path)
    capsys.readouterr()

    limit = 30 if case == "row-cap" else LIMIT_S  # a million distinct rows take a second or two to count
    catalog = _catalog(tmp_path / "catalog.yaml", case, _cases(url, other_inventory)[case], limit)
    started = time.perf_counter()
    with pytest.raises(SystemExit) as bad:
        main(["analyze", "--snapshot", str(snapshot.path), "--catalog", str(catalog)])
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    print(f"sandbox case {case}: exit {bad.value.code} in {elapsed:.2f} s (rule time limit {limit} s)")
    assert bad.value.code == 2
    assert f"{catalog}:10: applies_to: item '{case}'" in err and EXPECT[case] in " ".join(err.split()), err
    assert "Traceback" not in err
    assert elapsed < limit + 8
    assert _files(snapshot.path) == before
    assert connections == []


@pytest.mark.parametrize("case", ["proc-environ", "etc-passwd", "other-snapshot", "other-snapshot-path",
                                  "http-url"])
def test_run_time_sandbox_refuses_reads_without_the_static_checks(case, listener, other_inventory):
    """The second layer alone: external access is off in the rule connection itself."""
    url, connections = listener
    sql = _cases(url, other_inventory)[case] + "\n"
    units = to_arrow("units", [{"account_id": "1", "unit_id": "u"}])
    with Sandbox({"units": units}, seconds=LIMIT_S) as sandbox, pytest.raises(ConfigError) as exc:
        sandbox.hits(Rule(case, sql, "catalog.yaml", 7))
    text = str(exc.value)
    assert text.startswith(f"catalog.yaml:7: applies_to: item '{case}'") and exc.value.exit_code == 2
    assert "tried to read a file" in text or "does not exist" in text, text  # FROM 'path' is just a name here
    assert connections == []


def test_rules_see_no_python_variables_and_no_settings_change(snapshot):
    """DuckDB's replacement scan would read a DataFrame by its Python name; the sandbox turns it off."""
    inv = load_inventory(snapshot)  # noqa: F841 - a DataFrame dict in this frame, bait for the scan
    accounts = inv["accounts"]  # noqa: F841
    with Sandbox({"units": to_arrow("units", [])}, seconds=LIMIT_S) as sandbox:
        with pytest.raises(ConfigError, match="accounts does not exist"):
            sandbox.hits(Rule("bait", "SELECT account_id, account_id AS unit_id FROM accounts\n"))
        with pytest.raises(duckdb.Error, match="locked"):  # a rule cannot SET; nor can anyone after locking
            sandbox._con.execute("SET enable_external_access = true")


@pytest.mark.parametrize("sql, expect", [
    ("ATTACH '/tmp/other.duckdb' AS other", "not ATTACH"),
    ("COPY (SELECT 1) TO '/tmp/out.csv'", "not COPY"),
    ("INSTALL httpfs", "not LOAD"),
    ("LOAD httpfs", "not LOAD"),
    ("PRAGMA version", "not PRAGMA"),
    ("SET enable_external_access = true", "not SET"),
    ("EXPORT DATABASE '/tmp/dump'", "not EXPORT"),
    ("IMPORT DATABASE '/tmp/dump'", "not PRAGMA"),
    ("SELECT account_id, unit_id FROM units; SELECT 1", "found 2 statements"),
    ("SELECT * FROM glob('/root/.ssh/*')", "table function glob()"),
    ("SELECT * FROM read_json('s3://bucket/key.json')", "read_json() on 's3://bucket/key.json'"),
    ("SELECT * FROM 'https://example.com/x.parquet'", "a file or URL"),
    ("SELECT * FROM query('SELECT 1')", "table function query()"),
    ("SELECT account_id, unit_id FROM units WHERE unit_id IN (SELECT content FROM read_text('/etc/hosts'))",
     "table function read_text()"),
])
def test_validate_refuses_statically(sql, expect, tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(f"items:\n  - id: sneaky\n    title: Sneaky rule\n    applies_to: \"{sql}\"\n"
                    "    effort: {fixed_days: 1}\n")
    with pytest.raises(ConfigError) as exc:
        load_catalog(path)
    assert f"{path}:4: applies_to: item 'sneaky'" in str(exc.value) and expect in str(exc.value), str(exc.value)


def test_validate_never_fetches_an_extension(tmp_path, listener):
    """`read_csv('http://...')` used to make DuckDB download httpfs during `validate`."""
    url, connections = listener
    home = tmp_path / "home"
    home.mkdir()
    catalog = _catalog(tmp_path / "catalog.yaml", "fetcher", f"SELECT account_id, unit_id FROM read_csv('{url}')")
    env = dict(os.environ, HOME=str(home))
    run = subprocess.run([sys.executable, "-m", "audit", "validate", str(catalog)], capture_output=True,
                         text=True, env=env, timeout=120)
    assert run.returncode == 2 and "item 'fetcher'" in run.stderr, run.stderr
    assert not (home / ".duckdb").exists()  # no extension directory created, nothing installed
    assert connections == []
