"""Scale-out: the fleet crawled on dask.distributed and in process workers, and in shards merged
back, gives the same tables as the thread pool (the session's `fleet_snapshot` crawl)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from audit.aws.crawler import crawl
from audit.aws.executors import check_executor
from audit.cli import main
from audit.config import load_accounts
from audit.errors import ConfigError
from audit.options import CrawlOptions
from audit.store.schema import TABLES
from audit.store.shards import merge_shards, parse_shard, shard_of
from audit.store.snapshots import open_snapshot

pytestmark = pytest.mark.slow

# wall time, calls (a retry under load adds one), the audit role's own last use (assuming it updates it)
VOLATILE = ["seconds", "calls", "last_used"]


def _frames(snapshot_dir: Path) -> dict[str, pd.DataFrame]:
    """Every crawl table as sorted text, without the columns that differ between two crawls."""
    out = {}
    for name, table in TABLES.items():
        if table.source == "crawl":
            df = open_snapshot(snapshot_dir).table(name).drop(columns=VOLATILE, errors="ignore")
            if name == "errors":
                df = df[df["source"] == "crawl"]
            text = df.astype(str)
            out[name] = text.sort_values(list(text.columns)).reset_index(drop=True)
    return out


def _assert_same_tables(got: Path, expected: Path) -> None:
    want, have = _frames(expected), _frames(got)
    assert sum(len(df) for df in want.values()) > 100
    for name in want:
        pd.testing.assert_frame_equal(have[name], want[name], obj=name)


def test_dask_cluster_crawls_the_fleet_like_the_thread_pool(fleet, fleet_snapshot, tmp_path: Path) -> None:
    """`--executor dask://HOST:PORT` on a LocalCluster of worker processes: every task and its
    arguments pickle, each worker builds its own sessions, and the rows come back as plain data."""
    import distributed  # the dev extra has it (CI installs .[dev])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, host="127.0.0.1",
                                  scheduler_port=0, dashboard_address=None, silence_logs=True) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        result = crawl(load_accounts(fleet.accounts_file), tmp_path, CrawlOptions(
            endpoint_url=fleet.endpoint_url, executor=f"dask://{address}", workers=4, progress=False))
    assert open_snapshot(result.snapshot_dir).manifest["sections"]["crawl"]["executor"] == f"dask://{address}"
    assert (result.accounts_ok, result.accounts_partial, result.accounts_failed) == (
        fleet_snapshot.crawl.accounts_ok, fleet_snapshot.crawl.accounts_partial, fleet_snapshot.crawl.accounts_failed)
    _assert_same_tables(result.snapshot_dir, fleet_snapshot.snapshot_dir)


def test_local_workers_collect_garbage_as_the_crawl_process_does() -> None:
    """`--executor processes`: each worker process of the local cluster runs its tasks with the
    crawl's collector settings (audit.aws.crawl_gc: the heap it starts with frozen, rarer young
    collections), not CPython's defaults (~15% of a realistic crawl's client CPU), and without dask's
    statistical profiler."""
    import gc

    from audit.aws.crawl_gc import CRAWL_GC_THRESHOLD
    from audit.aws.executors import open_executor

    with open_executor("processes", 2) as pool:
        thresholds = [pool.submit(gc.get_threshold).result() for _ in range(4)]
        frozen = [pool.submit(gc.get_freeze_count).result() for _ in range(4)]
        profiling = pool.submit(lambda: __import__("dask").config.get("distributed.worker.profile.enabled")).result()
    assert all(t[0] >= CRAWL_GC_THRESHOLD for t in thresholds) and all(n > 0 for n in frozen)
    assert profiling is False  # no dashboard, no statistical profiler sampling the task threads


def test_shards_partition_the_accounts_by_a_stable_hash() -> None:
    ids = [f"{n:012d}" for n in range(1, 400, 7)]
    for count in (1, 2, 3, 5):
        shards = [parse_shard(f"{i}/{count}") for i in range(1, count + 1)]
        for account in ids:
            assert [s.holds(account) for s in shards].count(True) == 1, (account, count)
        sizes = [sum(s.holds(a) for a in ids) for s in shards]
        assert min(sizes) > 0 and sum(sizes) == len(ids)
    # the shard is a function of the id alone: the same in any order, with any other accounts
    assert [shard_of(a, 4) for a in ids] == [shard_of(a, 4) for a in reversed(ids)][::-1]
    assert {shard_of("123456789012", 4)} == {shard_of("123456789012", 4) for _ in range(3)}


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1/0", "2", "a/b", "1/2/3", "-1/2", ""])
def test_bad_shard_is_exit_2_naming_the_option(bad: str, tmp_path: Path, capsys) -> None:
    with pytest.raises(ConfigError, match="--shard") as info:
        parse_shard(bad)
    assert info.value.exit_code == 2
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text('clients:\n  - name: a\n    account_id: "123456789012"\n')
    with pytest.raises(SystemExit) as exited:
        main(["crawl", "--accounts", str(accounts), "--out", str(tmp_path / "out"), "--shard", bad])
    assert exited.value.code == 2 and "--shard" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bad_executor_is_exit_2(tmp_path: Path, capsys) -> None:
    for bad in ("fibers", "dask://", "dask://host", "dask://host:port", "dask://h:1/x"):
        with pytest.raises(ConfigError, match="--executor"):
            check_executor(bad)
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text('clients:\n  - name: a\n    account_id: "123456789012"\n')
    with pytest.raises(SystemExit) as exited:
        main(["crawl", "--accounts", str(accounts), "--out", str(tmp_path / "out"), "--executor", "fibers"])
    assert exited.value.code == 2 and "--executor" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def shard_snapshots(fleet, tmp_path_factory) -> list[Path]:
    """The fleet in two shards on two 'runners': shard 1 in process workers, shard 2 in threads."""
    config = load_accounts(fleet.accounts_file)
    out = []
    for shard, executor in (("1/2", "processes"), ("2/2", "threads")):
        inventory = tmp_path_factory.mktemp(f"shard-{shard[0]}")
        result = crawl(config, inventory, CrawlOptions(endpoint_url=fleet.endpoint_url, shard=shard, workers=4,
                                                       executor=executor, progress=False))
        out.append(result.snapshot_dir)
    return out


def test_shards_hold_their_accounts_and_merge_to_the_unsharded_crawl(fleet, fleet_snapshot, shard_snapshots,
                                                                     tmp_path: Path) -> None:
    ids = sorted(open_snapshot(fleet_snapshot.snapshot_dir).table("accounts")["account_id"])
    held = [sorted(open_snapshot(p).table("accounts")["account_id"]) for p in shard_snapshots]
    assert sorted(held[0] + held[1]) == ids and not set(held[0]) & set(held[1]) and all(held)
    for i, (path, accounts) in enumerate(zip(shard_snapshots, held, strict=True), start=1):
        section = open_snapshot(path).manifest["sections"]["crawl"]
        assert section["shard"] == {"index": i, "count": 2, "accounts": accounts}
        assert all(shard_of(a, 2) == i for a in accounts)
    published = merge_shards(shard_snapshots, tmp_path)
    assert published.published and published.outcome == fleet_snapshot.crawl.outcome
    _assert_same_tables(published.path, fleet_snapshot.snapshot_dir)
    merged = open_snapshot(published.path).manifest
    assert merged["complete"] is True and merged["sections"]["crawl"]["merged_shards"] == 2
    assert merged["sections"]["crawl"]["accounts_total"] == len(ids)


def test_merge_refuses_an_incomplete_or_mixed_set(fleet_snapshot, shard_snapshots, tmp_path: Path, capsys) -> None:
    cases = [([shard_snapshots[0]], "missing shard(s) 2/2"),
             ([shard_snapshots[0], shard_snapshots[0], shard_snapshots[1]], "given twice 1/2"),
             ([fleet_snapshot.snapshot_dir, shard_snapshots[1]], "not a shard snapshot")]
    for paths, message in cases:
        with pytest.raises(ConfigError, match=re.escape(message)) as info:
            merge_shards(paths, tmp_path / "merged")
        assert info.value.exit_code == 2
    with pytest.raises(SystemExit) as exited:
        main(["merge-snapshots", str(shard_snapshots[1]), "--out", str(tmp_path / "merged")])
    assert exited.value.code == 2 and "missing shard(s) 1/2" in capsys.readouterr().err
    assert not (tmp_path / "merged").exists()
