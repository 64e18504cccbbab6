"""The crawler against the demo fleet: complete counts, faults as errors, no secrets, resumable.

One crawl of the session fleet is shared by these tests (`fleet_crawl`); the resume test adds one
crawl killed with SIGKILL in a child process and its in-process resumption.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from audit.aws import session as aws_session
from audit.aws.collectors import REGISTRY
from audit.aws.crawler import CrawlResult, crawl
from audit.config import load_accounts
from audit.logs import _RedactFilter
from audit.options import CrawlOptions
from audit.store.schema import GLOBAL_TABLES, RESOURCE_TYPES, TABLES
from audit.store.snapshots import open_snapshot

pytestmark = pytest.mark.slow
DAY = "2026-01-05"


@dataclass
class FleetCrawl:
    result: CrawlResult
    inventory: Path
    log_file: Path
    stderr: str
    credentials: list[Any]  # frozen credentials the crawler obtained (to prove they leak nowhere)


@pytest.fixture(scope="session")
def fleet_crawl(fleet, tmp_path_factory) -> FleetCrawl:
    inventory = tmp_path_factory.mktemp("aws-fleet-crawl")
    log_file = inventory.parent / f"{inventory.name}.log"
    captured: list[Any] = []
    original = aws_session.AwsContext.assume

    def spying_assume(self, target):
        original(self, target)
        captured.append(self._credentials[target.account_id].get_frozen_credentials())

    handler = logging.FileHandler(log_file)
    handler.addFilter(_RedactFilter())
    handler.setLevel(logging.DEBUG)
    audit_log = logging.getLogger("audit")
    audit_log.addHandler(handler)
    old_level = audit_log.level
    audit_log.setLevel(logging.DEBUG)
    stderr = io.StringIO()
    try:
        with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(stderr):
            mp.setattr(aws_session.AwsContext, "assume", spying_assume)
            result = crawl(load_accounts(fleet.accounts_file), inventory, CrawlOptions(
                day=DAY, endpoint_url=fleet.endpoint_url, workers=8, progress=True))
    finally:
        audit_log.removeHandler(handler)
        audit_log.setLevel(old_level)
        handler.close()
    return FleetCrawl(result, inventory, log_file, stderr.getvalue(), captured)


def _count(snapshot, table: str, account: str) -> int:
    df = snapshot.table(table)
    return int((df["account_id"] == account).sum()) if len(df) else 0


def test_every_table_matches_what_was_seeded(fleet, fleet_crawl) -> None:
    snap = open_snapshot(fleet_crawl.result.snapshot_dir)
    mismatches = [(acct, table, n, _count(snap, table, acct))
                  for acct, expected in fleet.expected.items() for table, n in expected.items()
                  if _count(snap, table, acct) != n]
    assert mismatches == []
    assert sum(sum(e.values()) for e in fleet.expected.values()) > 100  # a fleet with substance
    accounts = snap.table("accounts")
    assert sorted(accounts["account_id"]) == sorted(fleet.expected)


def test_faults_are_error_rows_and_the_rest_completes(fleet, fleet_crawl) -> None:
    snap = open_snapshot(fleet_crawl.result.snapshot_dir)
    errors, accounts = snap.table("errors"), snap.table("accounts").set_index("account_id")
    (denied_account,) = fleet.faults["assume_role_denied"]
    assert accounts.loc[denied_account, "status"] == "failed"
    mine = errors[errors["account_id"] == denied_account]
    assert mine[["collector", "operation", "error_class"]].values.tolist() == [["session", "AssumeRole", "access-denied"]]
    assert all(errors["operation"].fillna("").ne(""))  # every error row names its operation
    for acct, region, service in fleet.faults["denied"]:
        rows = errors[(errors["account_id"] == acct) & (errors["region"] == region)]
        assert "scp-denied" in set(rows["error_class"]), (acct, region, service)  # an SCP denies it
        assert accounts.loc[acct, "status"] == "partial"
    assert set(errors["source"]) == {"crawl"}
    assert all("<html" not in m for m in errors["message"])
    crawl_manifest = snap.manifest["sections"]["crawl"]
    assert crawl_manifest["accounts_failed"] == 1 and crawl_manifest["errors"] == len(errors)
    assert crawl_manifest["accounts_ok"] + crawl_manifest["accounts_partial"] == len(fleet.expected) - 1


def test_managed_by_and_findings_on_the_fleet(fleet_crawl) -> None:
    snap = open_snapshot(fleet_crawl.result.snapshot_dir)
    con = snap.connect()
    owned = con.execute("SELECT count(*) FROM stack_resources").fetchone()[0]
    managed = sum(con.execute(f"SELECT count(*) FROM {t} WHERE managed_by IS NOT NULL").fetchone()[0]
                  for t in TABLES if TABLES[t].source == "crawl" and "managed_by" in TABLES[t].column_names)
    assert owned > 0 and managed > 0
    # every managed_by names a stack of the same account
    bad = con.execute("""SELECT count(*) FROM ecs_services e WHERE managed_by IS NOT NULL AND NOT EXISTS
                         (SELECT 1 FROM stacks s WHERE s.account_id = e.account_id AND s.name = e.managed_by)""").fetchone()[0]
    assert bad == 0
    # every CodeDeploy ECS group names the crawled service it deploys (cluster/service)
    ecs_groups = con.execute("""SELECT g.account_id, g.region, unnest(g.ecs_services) FROM codedeploy_groups g
                                WHERE g.target_kind = 'ecs'""").fetchall()
    services = {(a, r, f"{c}/{n}") for a, r, c, n in con.execute(
        "SELECT account_id, region, cluster, name FROM ecs_services").fetchall()}
    assert ecs_groups and set(ecs_groups) <= services
    kinds = {r[0] for r in con.execute("SELECT DISTINCT kind FROM findings").fetchall()}
    assert "plaintext-secret-variable" in kinds


def _texts(directory: Path) -> list[tuple[Path, str]]:
    """Every file under `directory` as searchable text (parquet decoded, since it is compressed)."""
    out = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        raw = path.read_bytes().decode("utf-8", errors="replace")
        out.append((path, raw))
        if path.suffix == ".parquet":
            out.append((path, pq.read_table(path).to_pandas().to_json(orient="records", default_handler=str)))
    return out


def test_no_secret_or_credential_in_any_output(fleet, fleet_crawl) -> None:
    assert fleet.secrets and fleet_crawl.credentials
    needles = set(fleet.secrets)
    for creds in fleet_crawl.credentials:
        needles |= {creds.secret_key, creds.token, creds.access_key}
    needles |= {os.environ["AWS_SECRET_ACCESS_KEY"]}
    texts = _texts(fleet_crawl.inventory) + [(fleet_crawl.log_file, fleet_crawl.log_file.read_text()),
                                            (Path("<stderr>"), fleet_crawl.stderr)]
    assert len(texts) > 20
    leaks = [(str(path), needle[:6]) for path, text in texts for needle in needles if needle and needle in text]
    assert leaks == []
    assert "crawl [" in fleet_crawl.stderr  # the plain progress lines were written (stderr not a TTY)


# Columns that legitimately differ between two crawls: wall time, calls (a retry under load adds
# one), and the audit role's own last use (assuming it to crawl updates RoleLastUsed, on AWS too).
VOLATILE = ["seconds", "calls", "last_used"]


def _frames(snapshot_dir: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for name, table in TABLES.items():
        if table.source != "crawl":
            continue
        df = open_snapshot(snapshot_dir).table(name).drop(columns=VOLATILE, errors="ignore")
        text = df.astype(str)
        out[name] = text.sort_values(list(text.columns)).reset_index(drop=True)
    return out


def test_killed_crawl_resumes_to_the_same_snapshot(fleet, fleet_crawl, tmp_path) -> None:
    staging = tmp_path / "snapshots" / f".staging-{DAY}" / "done"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "audit", "crawl", "--accounts", str(fleet.accounts_file), "--out", str(tmp_path),
           "--date", DAY, "--workers", "2", "--endpoint-url", fleet.endpoint_url]
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (staging.exists() and any(staging.iterdir())):
            assert child.poll() is None, "the crawl finished before it could be killed"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(10)
    done_first = {p.name: p.stat().st_mtime_ns for p in staging.iterdir()}
    assert 0 < len(done_first) < len(fleet.expected)
    assert not (tmp_path / "snapshots" / DAY).exists()  # nothing half-published
    resumed = crawl(load_accounts(fleet.accounts_file), tmp_path, CrawlOptions(
        day=DAY, endpoint_url=fleet.endpoint_url, resume=True, progress=False))
    manifest = open_snapshot(resumed.snapshot_dir).manifest["sections"]["crawl"]
    assert manifest["resumed"] is True and manifest["accounts_skipped"] == len(done_first)  # not redone
    expected, got = _frames(fleet_crawl.result.snapshot_dir), _frames(resumed.snapshot_dir)
    for name in expected:
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)
    assert (resumed.accounts_ok, resumed.accounts_failed, resumed.errors) == (
        fleet_crawl.result.accounts_ok, fleet_crawl.result.accounts_failed, fleet_crawl.result.errors)


def test_published_manifest_has_no_credentials(fleet_crawl) -> None:
    manifest = json.loads((fleet_crawl.result.snapshot_dir / "manifest.json").read_text())
    section = manifest["sections"]["crawl"]
    assert {"started", "finished", "config_hash", "accounts_ok", "accounts_partial", "accounts_failed", "calls",
            "errors", "filters"} <= set(section)
    text = json.dumps(manifest).lower()
    assert "secret" not in text and "token" not in text


def test_rows_follow_their_table_declarations(fleet_crawl) -> None:
    """Every crawled ARN has its declared shape, and global tables hold region 'global' only."""
    snap = open_snapshot(fleet_crawl.result.snapshot_dir)
    seen = 0
    for name, kind in RESOURCE_TYPES.items():
        df = snap.table(name)
        pattern = kind.arn_pattern()
        bad = [a for a in df["arn"] if not pattern.fullmatch(str(a))]
        assert bad == [], (name, kind.arn, bad[:3])
        regions = set(df["region"])
        assert not regions or (regions == {"global"}) == (kind.scope == "global"), (name, regions)
        seen += len(df)
    assert seen > 100
    for collector in REGISTRY.values():
        globals_ = {t for t in collector.tables if t in GLOBAL_TABLES}
        assert (collector.scope == "global") == bool(globals_), collector.name


def test_a_second_crawl_reads_no_template_of_an_unchanged_stack(fleet, tmp_path, monkeypatch) -> None:
    """Two CloudFormation crawls of the fleet a day apart: the second calls neither GetTemplate nor
    ListStackResources (no stack changed) and publishes the same rows, every stack labelled."""
    import botocore.client

    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation_name, api_params):
        calls.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    config = load_accounts(fleet.accounts_file)
    tables = {}
    counts = []
    for day in ("2026-01-05", "2026-01-06"):
        calls.clear()
        result = crawl(config, tmp_path, CrawlOptions(day=day, endpoint_url=fleet.endpoint_url, workers=4,
                                                      services=("cloudformation",)))
        counts.append({op: calls.count(op) for op in ("DescribeStacks", "GetTemplate", "ListStackResources")})
        snap = open_snapshot(result.snapshot_dir)
        tables[day] = {t: snap.table(t).sort_values(["account_id", "region", "name" if t != "stack_resources"
                                                     else "stack_name", *(["logical_id"] if t == "stack_resources"
                                                                          else [])]).reset_index(drop=True)
                       for t in ("stacks", "stack_resources", "stacksets")}
        assert snap.manifest["sections"]["crawl"]["reused_from"] == (None if day == "2026-01-05" else "2026-01-05")
    first, second = counts
    stacks = tables["2026-01-05"]["stacks"]
    assert first["ListStackResources"] == len(stacks)
    # a stack its own name or outputs decide (the fleet's StackSet-* instances, a Serverless Framework
    # stack's output) is never asked for its template
    assert first["GetTemplate"] == stacks["template_tool"].notna().sum() > 0
    assert set(stacks.loc[stacks["template_tool"].isna(), "iac_tool"]) == {"stackset", "serverless-framework"}
    assert second["GetTemplate"] == 0 and second["ListStackResources"] == 0
    assert second["DescribeStacks"] == first["DescribeStacks"]
    for t, frame in tables["2026-01-05"].items():
        pd.testing.assert_frame_equal(frame, tables["2026-01-06"][t], obj=t)
    tools = set(tables["2026-01-06"]["stacks"]["iac_tool"])
    assert {"cdk", "stackset"} <= tools, tools
    print(f"GetTemplate calls: first crawl {first['GetTemplate']}, second crawl {second['GetTemplate']}")
