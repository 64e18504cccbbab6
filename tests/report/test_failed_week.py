"""A week in which no account could be crawled: the real crawl of the demo fleet against a dead
endpoint, then the analysis and the real report build on it. Nothing crashes; the headline says no
account could be crawled; drift compares with nothing rather than report every unit "removed"."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from audit.analysis.run import analyze
from audit.aws.crawler import crawl
from audit.config import load_accounts, load_surveys
from audit.options import CrawlOptions, ReportOptions
from audit.report.runner import build_report
from audit.store.snapshots import open_snapshot


@pytest.fixture(scope="module")
def failed_week(fleet_snapshot, tmp_path_factory) -> tuple[Path, str, str, int]:
    """The session fleet's good snapshot, then a week later a crawl in which every account failed."""
    inventory = tmp_path_factory.mktemp("failed-week")
    shutil.copytree(fleet_snapshot.inventory / "snapshots", inventory / "snapshots")
    good = fleet_snapshot.snapshot_dir.name
    bad = (date.fromisoformat(good) + timedelta(days=7)).isoformat()
    # a dead endpoint stops at the preflight now (exit 2, nothing written): fail every account with
    # the fleet's account whose role refuses AssumeRole instead
    (denied,) = fleet_snapshot.fleet.faults["assume_role_denied"]
    result = crawl(load_accounts(fleet_snapshot.fleet.accounts_file), inventory,
                   CrawlOptions(day=bad, endpoint_url=fleet_snapshot.fleet.endpoint_url, accounts_only=(denied,),
                                progress=False))
    assert result.accounts_ok == result.accounts_partial == 0 and result.accounts_failed > 0
    return inventory, good, bad, result.accounts_failed


def test_failed_week_analyses_and_reports_and_says_so(failed_week, fleet_snapshot, tmp_path) -> None:
    inventory, good, bad, n = failed_week
    fleet = fleet_snapshot.fleet
    out = analyze(open_snapshot(inventory, bad), fleet.out / "catalog.yaml", load_surveys(fleet.survey_dir))
    assert out["units"].empty and (out["ranking"]["units"] == 0).all()
    assert out["drift"].empty  # not every account and unit of last week "removed"
    summary = out["drift_summary"].iloc[0]
    assert summary["outcome"] == "all-failed"
    assert summary["summary"] == f"Not compared with {good}: no account could be crawled in this snapshot."

    report = build_report(inventory, tmp_path / "reports", ReportOptions(snapshot_date=bad))
    page = report.read_text(encoding="utf-8")
    assert f"No account could be crawled: all {n} failed (access-denied {n})" in page
    assert "no account could be crawled in this snapshot." in page
    assert (report.parent / "backlog.csv").is_file()


def test_failed_week_has_no_onboarding_kit_to_generate(failed_week, tmp_path) -> None:
    """Every account failed: `cicd-audit onboarding` says there is nothing to generate, exit 0, and its
    plan.md says why (no template is written)."""
    from click.testing import CliRunner

    from audit.cli import cli

    inventory, _good, bad, _n = failed_week
    run = CliRunner().invoke(cli, ["onboarding", "--snapshot", str(inventory / "snapshots" / bad),
                                   "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    assert "nothing to generate (no client account could be crawled in this snapshot)" in run.output
    kit = tmp_path / bad / "onboarding"
    assert sorted(p.name for p in kit.iterdir()) == ["plan.md"]
    assert "Nothing to generate: no client account could be crawled" in (kit / "plan.md").read_text()
