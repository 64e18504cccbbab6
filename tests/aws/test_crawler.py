"""The crawler on a small hand-seeded pair of accounts (the fleet-level tests are in test_fleet_crawl.py)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from audit.analysis.frames import load_inventory
from audit.analysis.resources import compute_resources
from audit.analysis.units import build_units
from audit.aws.crawler import crawl, crawl_command
from audit.config import AccountsConfig
from audit.errors import ConfigError
from audit.options import CrawlOptions
from audit.store.snapshots import open_snapshot

STACK = {"Resources": {"Repo": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "svc"}}}}


def _config(url: str, *accounts) -> AccountsConfig:
    return AccountsConfig.model_validate({
        "endpoint_url": url,
        "defaults": {"regions": ["eu-west-1"], "external_id": "ext", "max_workers": 4},
        "clients": [{"name": f"client-{i}", "account_id": a.account_id, "teams": ["web"]}
                    for i, a in enumerate(accounts)],
    })


@pytest.fixture
def two_accounts(account, new_account):
    other = new_account()
    account.boto("cloudformation").create_stack(StackName="svc-stack", TemplateBody=json.dumps(STACK))
    account.boto("ecr").create_repository(repositoryName="manual-repo")
    other.boto("ecr").create_repository(repositoryName="other-repo")
    return account, other


def test_crawl_writes_every_table_with_managed_by(two_accounts, moto_url, tmp_path: Path) -> None:
    a, b = two_accounts
    result = crawl(_config(moto_url, a, b), tmp_path, CrawlOptions(day="2026-01-02",
                   services=("cloudformation", "ecr", "s3"), progress=False))
    assert (result.accounts_ok, result.accounts_partial, result.accounts_failed) == (2, 0, 0)
    snap = open_snapshot(result.snapshot_dir)
    repos = snap.table("ecr_repositories")
    owned = {n: m if isinstance(m, str) else None for n, m in zip(repos["name"], repos["managed_by"], strict=True)}
    assert owned["svc"] == "svc-stack" and owned["manual-repo"] is None and owned["other-repo"] is None
    assert set(repos["account_id"]) == {a.account_id, b.account_id}
    accounts = snap.table("accounts")
    assert sorted(accounts["status"]) == ["ok", "ok"] and (accounts["calls"] > 0).all()
    assert list(accounts["regions"].iloc[0]) == ["eu-west-1"]
    crawl_section = snap.manifest["sections"]["crawl"]
    assert crawl_section["accounts_ok"] == 2 and crawl_section["calls"] == result.calls
    assert crawl_section["filters"]["services"] == ["cloudformation", "ecr", "s3"]
    assert snap.table("s3_buckets")["region"].eq("global").all()


def test_any_executor_and_unknown_service(two_accounts, moto_url, tmp_path: Path) -> None:
    a, b = two_accounts
    with ThreadPoolExecutor(2) as pool:
        result = crawl(_config(moto_url, a, b), tmp_path, CrawlOptions(day="2026-01-03", services=("ecr",), progress=False,
                       accounts_only=(a.account_id,)), executor=pool)
    assert open_snapshot(result.snapshot_dir).table("accounts")["account_id"].tolist() == [a.account_id]
    with pytest.raises(ConfigError, match="unknown service"):
        crawl(_config(moto_url, a), tmp_path, CrawlOptions(services=("nope",), progress=False))
    with pytest.raises(ConfigError, match="unknown account"):
        crawl(_config(moto_url, a), tmp_path, CrawlOptions(accounts_only=("nobody",), progress=False))


def test_crawl_command_bad_config_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "accounts.yaml"
    bad.write_text("clients:\n  - name: x\n    account_id: 12\n")
    with pytest.raises(ConfigError) as info:
        crawl_command(accounts_file=bad, out=tmp_path / "out")
    assert info.value.exit_code == 2 and not (tmp_path / "out").exists()
    for day in ("2026-1-5", "20260105"):
        with pytest.raises(ConfigError, match="--date") as info:
            crawl_command(accounts_file=bad, out=tmp_path / "out", options=CrawlOptions(day=day))
        assert info.value.exit_code == 2


def test_cli_unknown_service_exits_2(tmp_path: Path, moto_url, account, capsys) -> None:
    from audit.cli import main

    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(f'endpoint_url: {moto_url}\nclients:\n  - name: a\n    account_id: "{account.account_id}"\n')
    with pytest.raises(SystemExit) as info:
        main(["crawl", "--accounts", str(accounts), "--out", str(tmp_path / "out"), "--services", "bogus"])
    assert info.value.code == 2 and "bogus" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit) as info:
        main(["crawl", "--accounts", str(accounts), "--out", str(tmp_path / "out"), "--services", "ecr",
              "--date", "2026-01-09"])
    assert info.value.code == 0
    assert (tmp_path / "out" / "snapshots" / "2026-01-09" / "ecr_repositories.parquet").exists()


def test_rich_progress_on_a_terminal(account, moto_url, tmp_path: Path, monkeypatch) -> None:
    import io

    from rich.console import Console

    import audit.aws.crawler as crawler

    screen = io.StringIO()
    monkeypatch.setattr(crawler, "console", Console(file=screen, force_terminal=True, width=100))
    result = crawl(_config(moto_url, account), tmp_path, CrawlOptions(day="2026-01-04", services=("ecr",), progress=True))
    assert result.accounts_ok == 1
    text = screen.getvalue()
    assert "crawl" in text and "1/1" in text and "errors: 0" in text


def test_unknown_profile_exits_2_with_nothing_written(account, moto_url, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="profile"):
        crawl(_config(moto_url, account), tmp_path / "inv", CrawlOptions(profile="no-such-profile-xyz", progress=False))
    assert not (tmp_path / "inv").exists()


def test_process_pool_executor_runs_the_same_tasks(two_accounts, moto_url, tmp_path: Path) -> None:
    """Tasks are picklable and rebuild their sessions from AwsSettings in the worker process, so
    executors that ship work to other processes (ProcessPool, Dask) run the crawl unchanged."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    a, b = two_accounts
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = crawl(_config(moto_url, a, b), tmp_path, CrawlOptions(day="2026-01-07", services=("cloudformation", "ecr"),
                       progress=False), executor=pool)
    assert result.accounts_ok == 2 and result.calls > 0
    repos = open_snapshot(result.snapshot_dir).table("ecr_repositories")
    assert sorted(repos["name"]) == ["manual-repo", "other-repo", "svc"]
    assert repos.set_index("name").loc["svc", "managed_by"] == "svc-stack"


def test_regions_all_discovers_enabled_regions(account, moto_url, tmp_path: Path) -> None:
    account.boto("ecr", "ap-southeast-2").create_repository(repositoryName="far-away")
    config = _config(moto_url, account)
    result = crawl(config, tmp_path, CrawlOptions(day="2026-01-08", services=("ecr",), regions=("all",), progress=False))
    snap = open_snapshot(result.snapshot_dir)
    regions = list(snap.table("accounts")["regions"].iloc[0])
    assert {"eu-west-1", "us-east-1", "ap-southeast-2"} <= set(regions) and len(regions) > 10
    assert snap.table("ecr_repositories")["region"].tolist() == ["ap-southeast-2"]
    with pytest.raises(ConfigError, match="not a region"):
        crawl(config, tmp_path, CrawlOptions(regions=("mars-1",), progress=False))


def test_a_region_named_twice_is_crawled_once(account, moto_url, tmp_path: Path) -> None:
    account.boto("ecr").create_repository(repositoryName="once")
    result = crawl(_config(moto_url, account), tmp_path, CrawlOptions(day="2026-01-09", services=("ecr",),
                   regions=("eu-west-1", "eu-west-1"), progress=False))
    snap = open_snapshot(result.snapshot_dir)
    assert list(snap.table("ecr_repositories")["name"]) == ["once"]
    assert list(snap.table("accounts")["regions"].iloc[0]) == ["eu-west-1"]


def test_a_manual_function_named_like_a_stack_repository_stays_manual(account, moto_url, tmp_path: Path) -> None:
    """managed_by is decided once, on resource type AND physical id: a stack's ECR repository and a
    hand-made Lambda function may share a name, and the function stays manual through the analysis."""
    account.boto("cloudformation").create_stack(StackName="svc-stack", TemplateBody=json.dumps(STACK))
    role = account.boto("iam", "us-east-1").create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    account.boto("lambda").create_function(FunctionName="svc", Runtime="python3.12", Role=role, Handler="app.handler",
                                           Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})
    result = crawl(_config(moto_url, account), tmp_path, CrawlOptions(day="2026-01-10",
                   services=("cloudformation", "ecr", "lambda"), progress=False))
    snap = open_snapshot(result.snapshot_dir)
    (repo,) = snap.table("ecr_repositories").to_dict("records")
    (fn,) = snap.table("lambda_functions").to_dict("records")
    assert repo["name"] == fn["name"] == "svc"
    assert repo["managed_by"] == "svc-stack" and pd.isna(fn["managed_by"])
    inv = load_inventory(snap)
    compute = compute_resources(inv)
    assert pd.isna(compute.set_index("name").loc["svc", "managed_by"])
    units = build_units(inv)
    (unit,) = units[units["name"] == "svc"].to_dict("records")
    assert (unit["kind"], unit["target"]) == ("manual", "lambda") and pd.isna(unit["stack_name"])


def test_the_garbage_collector_is_tuned_for_the_crawl_and_put_back(account, moto_url, tmp_path: Path) -> None:
    """During a crawl the heap it started with is frozen and young collections are rarer
    (audit.aws.crawl_gc); afterwards the process's own settings are back, and a process that froze
    objects of its own keeps its choice."""
    import gc

    from audit.aws.crawl_gc import CRAWL_GC_THRESHOLD, crawl_gc

    before = gc.get_threshold()
    with crawl_gc():
        assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] >= CRAWL_GC_THRESHOLD
        assert gc.get_threshold()[1:] == before[1:]
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    gc.freeze()
    try:
        with crawl_gc():
            assert gc.get_threshold() == before
        assert gc.get_freeze_count() > 0  # not unfrozen behind the process's back
    finally:
        gc.unfreeze()
    result = crawl(_config(moto_url, account), tmp_path, CrawlOptions(day="2026-01-04", services=("ecr",),
                                                                      progress=False))
    assert result.accounts_ok == 1 and gc.get_threshold() == before and gc.get_freeze_count() == 0
