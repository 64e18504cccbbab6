"""The weekly pipeline on the demo fleet: analyze + notebooks + export + backlog, the CLI, the demo command."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from audit import pipeline
from audit.config import load_decisions
from audit.options import WeeklyOptions
from audit.report import sections
from audit.report.data import load

from .browser import check_report

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def weekly_inventory(fleet_snapshot, tmp_path_factory) -> Path:
    """A private copy of the session fleet's crawled+scanned snapshot (analysed by `fleet_report`)."""
    inventory = tmp_path_factory.mktemp("weekly-inventory")
    shutil.copytree(fleet_snapshot.inventory / "snapshots", inventory / "snapshots")
    return inventory


@pytest.fixture(scope="module")
def fleet_report(fleet_snapshot, weekly_inventory, tmp_path_factory) -> Path:
    """The weekly pipeline, skip_crawl, on `weekly_inventory`."""
    out = tmp_path_factory.mktemp("weekly-reports")
    inputs = pipeline.Inputs.load(fleet_snapshot.fleet.out)
    options = WeeklyOptions.for_day(fleet_snapshot.snapshot_dir.name, config_dir=inputs.config_dir, top_n=5,
                                    skip_crawl=True, progress=False)
    return pipeline.weekly(inputs, weekly_inventory, out, options)


def test_weekly_writes_report_backlog_and_notebooks(fleet_report, fleet_snapshot) -> None:
    assert fleet_report.name == "report.html" and fleet_report.parent.name == fleet_snapshot.snapshot_dir.name
    names = {p.name for p in fleet_report.parent.iterdir()}
    assert {"report.html", "backlog.csv", "backlog.md", "ranking.csv", "04_lead_meeting_report.ipynb"} <= names
    with open(fleet_report.parent / "backlog.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert {"Summary", "Description", "Issue Type", "Priority", "Labels", "Story Points", "Original Estimate",
            "Issue ID", "External ID", "Parent", "Depends on"} <= set(rows[0])
    assert len(rows) - 1 >= 1  # the pick (the fleet's prerequisites come with it)
    assert "backlog.json" in names
    # the onboarding kit is part of the report (written inside its atomic swap)
    kit = fleet_report.parent / "onboarding"
    assert sorted(p.name for p in kit.iterdir()) == ["baseline.yaml", "options.md", "plan.json", "plan.md"]


def test_onboarding_cards_link_the_kit(fleet_report, weekly_inventory, fleet_snapshot) -> None:
    """The card of every onboarding item in the pick says what baseline.yaml would add per client (from
    the analysis' onboarding table) and links the kit's files."""
    data = load(weekly_inventory, fleet_snapshot.snapshot_dir.name)
    kit = sections.onboarding_kit(data)
    table = data.table("onboarding")
    adds = table[(table["status"] == "lacks") & table["resource_type"].notna()].groupby("client").size()
    assert len(adds) and '<a href="onboarding/baseline.yaml">baseline.yaml</a>' in kit
    for client, n in adds.items():
        assert f"{client} +{n}" in kit
    picked = data.pick()
    assert picked["labels"].map(lambda labels: "onboarding" in list(labels)).any()  # the fleet's pick has one
    assert kit in fleet_report.read_text(encoding="utf-8")


def test_findings_match_the_crawl_and_link_the_fixing_items(fleet_report, weekly_inventory, fleet_snapshot) -> None:
    """The fleet's planted risks, counted from the crawl tables themselves, are the report's findings."""
    from audit.analysis.findings import CI_USER
    from audit.store.snapshots import open_snapshot

    snap = open_snapshot(weekly_inventory, fleet_snapshot.snapshot_dir.name)
    found = snap.table("risk_findings")
    crawl_findings, users, ecr = snap.table("findings"), snap.table("iam_users"), snap.table("ecr_repositories")
    counts = found["kind"].value_counts().to_dict()
    secrets = int((crawl_findings["kind"] == "plaintext-secret-variable").sum())
    ci_users = users[(users["active_key_count"].fillna(0) > 0) & users["name"].str.contains(CI_USER)]
    assert secrets > 0 and counts.get("plaintext-secret") == secrets
    assert len(ci_users) > 0 and counts.get("ci-access-key") == len(ci_users)
    assert counts.get("ecr-scan-off", 0) == int((~ecr["scan_on_push"].fillna(False).astype(bool)).sum())
    assert counts.get("unmanaged-compute", 0) == int((snap.table("units")["kind"] == "manual").sum())
    # every planted risk is covered by a shipped catalog item (the catalog rules' own hits)
    links = found.groupby("kind")["item_id"].agg(lambda ids: set(ids.dropna()))
    assert links["plaintext-secret"] == {"secrets-out-of-plaintext"}
    assert links["ci-access-key"] == {"ci-keys-to-oidc"}
    assert found["detail"].str.contains("oldest key").sum() == len(ci_users)
    page = fleet_report.read_text(encoding="utf-8")
    assert "<h2" in page and "Findings" in page and "Move secrets out of plaintext build variables" in page


def test_report_shows_the_fleet_faithfully_and_safely(fleet_report, fleet_snapshot) -> None:
    page = fleet_report.read_text(encoding="utf-8")
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    crawl = fleet_snapshot.crawl
    assert (f'<div class="value">{crawl.accounts_failed}<span class="total"> of {crawl.accounts_total}</span></div>'
            '<div class="label">failed</div>') in page
    assert "AssumeRole" in page  # the faulted account's error is listed in the appendix


@pytest.mark.browser
def test_fleet_report_in_chromium(fleet_report, tmp_path) -> None:
    page = check_report(fleet_report, tmp_path / "fleet-report.png")
    assert page.figures_in_dom == page.figures_rendered == page.figures_expected >= 6
    assert page.console_errors == [] and page.dialogs == [] and page.live_xss_scripts == 0
    assert all(u.startswith(("file://", "data:")) for u in page.requests), page.requests
    assert XSS in page.visible_text


def test_cli_weekly_then_a_failing_notebook_exits_1(fleet_snapshot, tmp_path, monkeypatch, capsys) -> None:
    """`cicd-audit weekly --skip-crawl` for real; then a broken notebook: exit 1, old report untouched."""
    import nbformat

    from audit import cli
    from audit.report.runner import notebooks_dir

    config = tmp_path / "config"
    shutil.copytree(fleet_snapshot.fleet.out, config, ignore=shutil.ignore_patterns("repos", ".cache"))
    shutil.copytree(fleet_snapshot.inventory / "snapshots", config / "snapshots")
    out = tmp_path / "reports"
    args = ["weekly", "--config", str(config), "--out", str(out), "--skip-crawl", "--top-n", "3"]
    with pytest.raises(SystemExit) as ok:
        cli.main(args)
    # the fleet has one account whose role refuses AssumeRole: the report is written, and the last
    # line (exit 3) says the crawl of one account failed
    assert ok.value.code == 3
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines()[-1].startswith("cicd-audit: error: 1 of 4 accounts failed")
    report = Path(captured.out.strip().splitlines()[-1])
    assert report.is_file() and report.parent.parent == out.resolve()
    before = {str(p.relative_to(report.parent)): p.read_bytes() for p in report.parent.rglob("*") if p.is_file()}

    broken = tmp_path / "notebooks"
    shutil.copytree(notebooks_dir(), broken)
    nb = nbformat.read(str(broken / "04_lead_meeting_report.ipynb"), as_version=4)
    nb.cells.insert(6, nbformat.v4.new_code_cell("sections.headline(None)"))
    nbformat.write(nb, str(broken / "04_lead_meeting_report.ipynb"))
    monkeypatch.setenv("CICD_AUDIT_NOTEBOOKS", str(broken))
    with pytest.raises(SystemExit) as failed:
        cli.main(args)
    assert failed.value.code == 1
    err = capsys.readouterr().err
    assert "04_lead_meeting_report.ipynb" in err and "cell 6" in err and "sections.headline(None)" in err
    assert "Traceback" not in err
    assert {str(p.relative_to(report.parent)): p.read_bytes()
            for p in report.parent.rglob("*") if p.is_file()} == before


def test_bad_config_exits_2_and_writes_nothing(tmp_path, capsys) -> None:
    from audit import cli

    config = tmp_path / "config"
    config.mkdir()
    (config / "accounts.yaml").write_text("clients:\n  - name: acme\n    account_id: 1234\n")
    out = tmp_path / "reports"
    with pytest.raises(SystemExit) as info:
        cli.main(["weekly", "--config", str(config), "--out", str(out)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "accounts.yaml:3" in err and "account_id" in err
    assert not out.exists() and sorted(p.name for p in config.iterdir()) == ["accounts.yaml"]


def test_skip_crawl_without_a_snapshot_is_a_clear_error(fleet, tmp_path) -> None:
    from audit.errors import SnapshotError

    options = WeeklyOptions.for_day("2026-01-05", skip_crawl=True, progress=False)
    with pytest.raises(SnapshotError, match="--skip-crawl"):
        pipeline.weekly(pipeline.Inputs.load(fleet.out), tmp_path / "empty", tmp_path / "r", options)


@pytest.mark.slow
def test_demo_command_end_to_end(tmp_path) -> None:
    """`cicd-audit demo` in a fresh process: fleet, last week, crawl, scan, analyze, notebooks; path is the last
    line, and the report says what changed since last week's snapshot."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.run([sys.executable, "-m", "audit", "demo", "--clients", "10", "--out", str(tmp_path / "d"),
                           "--top-n", "4"], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    report = Path(last)
    assert report.is_absolute() and report.name == "report.html" and report.is_file()
    assert report.parent.parent == (tmp_path / "d" / "reports").resolve()
    snapshots = tmp_path / "d" / "inventory" / "snapshots"
    assert (snapshots / report.parent.name / "analysis").is_dir()
    last_week = (date.fromisoformat(report.parent.name) - timedelta(days=7)).isoformat()
    two_weeks = (date.fromisoformat(report.parent.name) - timedelta(days=14)).isoformat()
    assert sorted(p.name for p in snapshots.iterdir()) == [two_weeks, last_week, report.parent.name]
    drift = pd.read_parquet(snapshots / report.parent.name / "analysis" / "drift.parquet")
    kinds = set(drift["kind"])
    assert {"account-added", "fingerprint-changed"} <= kinds, kinds
    changed = drift[drift["kind"] == "fingerprint-changed"]
    assert changed["after"].str.endswith("+ manual-approval").any()
    page = report.read_text()
    assert f"What changed since {last_week}" in page
    assert "pipeline: " in page and "gained gate manual-approval" in page  # drift in words
    # the meetings: two weeks ago the top item was picked, last week it was done and the next one picked
    decisions = load_decisions(tmp_path / "d" / "inventory" / "decisions.yaml")
    assert [m.date.isoformat() for m in decisions.meetings] == [two_weeks, last_week]
    picks = pd.read_parquet(snapshots / report.parent.name / "analysis" / "picks.parquet")
    done, picked = picks[picks["picked_on"] == two_weeks].iloc[0], picks[picks["picked_on"] == last_week].iloc[0]
    assert (done.status, done.updated, picked.status) == ("done", last_week, "picked")
    assert done.units_at_pick > 0 and done.effect.startswith("too early to tell: ")
    assert "Picked last time" in page and "2 picks from 2 meetings: 1 picked, 1 done." in page
    assert "trend (3 snapshots)" in page
    # the open pick is marked picked in the backlog, keyed by its item id
    rows = list(csv.reader((report.parent / "backlog.csv").read_text(encoding="utf-8").splitlines()))
    marked = [r for r in rows if f"cicd-audit-item-{picked.item_id}" in r]
    assert len(marked) == 1 and "picked" in marked[0], rows[:3]
    # last week's snapshot holds history up to its own day only; this week's goes on to today
    runs = {day: pd.read_parquet(snapshots / day / "pipeline_executions.parquet")["start_time"]
            for day in (last_week, report.parent.name)}
    assert runs[last_week].max() < pd.Timestamp(last_week, tz="UTC") + pd.Timedelta(days=1)
    assert runs[report.parent.name].max() > runs[last_week].max()
    # the demo writes the onboarding kit beside the report, and says so
    assert (report.parent / "onboarding" / "baseline.yaml").is_file()
    assert "cfn-lint: 0 errors" in proc.stderr


def test_notebook_01_only_reads_the_snapshot(fleet_snapshot, tmp_path) -> None:
    """Run by hand on a crawled+scanned (not analysed) snapshot, notebook 01 shows its coverage and errors
    and writes nothing: no notebook starts a crawl."""
    import nbformat
    import papermill as pm

    from audit.report.runner import notebooks_dir

    inventory = tmp_path / "inventory"
    shutil.copytree(fleet_snapshot.inventory / "snapshots", inventory / "snapshots")
    before = sorted(p.relative_to(inventory) for p in inventory.rglob("*"))
    out = tmp_path / "01.ipynb"
    pm.execute_notebook(str(notebooks_dir() / "01_refresh_inventory.ipynb"), str(out), kernel_name="python3",
                        progress_bar=False, cwd=str(tmp_path),
                        parameters={"config_dir": str(fleet_snapshot.fleet.out), "inventory_dir": str(inventory)})
    assert sorted(p.relative_to(inventory) for p in inventory.rglob("*")) == before
    html = "".join(o.get("data", {}).get("text/html", "") for c in nbformat.read(str(out), as_version=4).cells
                   if c.cell_type == "code" for o in c.outputs)
    assert "partial, 1 failed." in html  # the fleet has exactly one account whose role cannot be assumed
    assert all(account in html for account in fleet_snapshot.fleet.account_ids)
    assert "AssumeRole" in html  # the faulted account shows up in the errors table


def test_notebook_defaults_find_the_demo_when_the_inventory_has_no_snapshot(fleet_report, weekly_inventory,
                                                                              fleet_snapshot, tmp_path,
                                                                              monkeypatch) -> None:
    """A fresh clone after `make demo`: inventory/snapshots/ is empty, demo-output/inventory has the demo.
    Notebooks opened by hand (`make lab` runs them in notebooks/) with their default parameters show
    the demo; once inventory/ has a snapshot of its own, the defaults show that one."""
    import nbformat
    import papermill as pm

    from audit.report.data import inventory_root
    from audit.report.runner import notebooks_dir

    project = tmp_path / "project"
    shutil.copytree(notebooks_dir(), project / "notebooks")
    (project / "inventory" / "snapshots").mkdir(parents=True)
    shutil.copytree(weekly_inventory / "snapshots", project / "demo-output" / "inventory" / "snapshots")
    for name in ("01_refresh_inventory", "04_lead_meeting_report"):
        out = tmp_path / f"{name}.ipynb"
        pm.execute_notebook(str(project / "notebooks" / f"{name}.ipynb"), str(out), kernel_name="python3",
                            progress_bar=False, cwd=str(project / "notebooks"))
        html = "".join(o.get("data", {}).get("text/html", "") for c in nbformat.read(str(out), as_version=4).cells
                       if c.cell_type == "code" for o in c.outputs)
        assert all(account in html for account in fleet_snapshot.fleet.account_ids), name
    monkeypatch.chdir(project / "notebooks")
    assert inventory_root("") == Path("../demo-output/inventory")
    shutil.copytree(weekly_inventory / "snapshots" / fleet_snapshot.snapshot_dir.name,
                    project / "inventory" / "snapshots" / fleet_snapshot.snapshot_dir.name)
    assert inventory_root("") == Path("../inventory")
    assert inventory_root("/elsewhere") == Path("/elsewhere")


def test_cli_weekly_says_when_its_crawl_is_not_published(fleet_snapshot, tmp_path, capsys) -> None:
    """Today's snapshot is good; a second weekly the same day in which every account fails must not
    replace it: `weekly` names that (as `crawl` does), reports on the kept snapshot, and its last
    line still counts the failed accounts."""
    import yaml

    from audit import cli

    fleet = fleet_snapshot.fleet
    config = tmp_path / "config"
    shutil.copytree(fleet.out, config, ignore=shutil.ignore_patterns("repos", ".cache", "repos.yaml"))
    shutil.copytree(fleet_snapshot.inventory / "snapshots", config / "snapshots")
    accounts = yaml.safe_load((config / "accounts.yaml").read_text())
    (denied,) = fleet.faults["assume_role_denied"]  # its role refuses AssumeRole: every account fails
    accounts["clients"] = [c for c in accounts["clients"] if str(c["account_id"]) == denied]
    (config / "accounts.yaml").write_text(yaml.safe_dump(accounts))
    day = fleet_snapshot.snapshot_dir.name
    kept = {p.name: p.read_bytes() for p in (config / "snapshots" / day).glob("*.parquet")}
    with pytest.raises(SystemExit) as done:
        cli.main(["weekly", "--config", str(config), "--out", str(tmp_path / "reports"), "--top-n", "3",
                  "--endpoint-url", fleet.endpoint_url])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    (notice,) = [line for line in lines if line.startswith("crawl: not published: ")]
    assert "every account failed" in notice and "kept unchanged" in notice and f".staging-{day}" in notice
    assert {p.name: p.read_bytes() for p in (config / "snapshots" / day).glob("*.parquet")} == kept
    assert Path(captured.out.strip().splitlines()[-1]).is_file()  # the report, on the kept snapshot
    assert done.value.code == 3 and lines[-1].startswith("cicd-audit: error: 1 of 4 accounts failed")
