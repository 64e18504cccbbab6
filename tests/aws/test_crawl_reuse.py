"""A crawl reuses what the last good snapshot already holds (commit times of pipeline executions)
and still writes a complete snapshot of its own; the first crawl of a pipeline is bounded."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from audit.aws.crawler import crawl
from audit.config import load_accounts
from audit.config.accounts import REVISION_LOOKUPS
from audit.options import CrawlOptions
from audit.store.snapshots import open_snapshot


def test_second_crawl_copies_commit_times_without_calling_get_pipeline_execution(fleet: Any, tmp_path) -> None:
    config = load_accounts(fleet.accounts_file)
    with_codecommit = {c.account_id for c in fleet.model.clients if c.data and c.data.source == "codecommit"}
    reachable = [c for c in config.clients if c.account_id not in fleet.faults["assume_role_denied"]
                 and c.account_id in with_codecommit]  # CodeCommit and connection sources both
    only = (reachable[0].account_id,)
    options = dict(endpoint_url=fleet.endpoint_url, services=("codepipeline",), accounts_only=only, progress=False)
    first = crawl(config, tmp_path, CrawlOptions(day="2026-03-02", **options))
    second = crawl(config, tmp_path, CrawlOptions(day="2026-03-09", **options))

    one, two = (open_snapshot(r.snapshot_dir) for r in (first, second))
    ops = [json.loads((r.snapshot_dir / "manifest.json").read_text())["sections"]["crawl"] for r in (first, second)]
    assert "codepipeline:GetPipelineExecution" in ops[0]["operations"]["codepipeline"]
    assert "codepipeline:GetPipelineExecution" not in ops[1]["operations"]["codepipeline"]  # all reused
    assert (ops[0]["reused_from"], ops[1]["reused_from"]) == (None, "2026-03-02")

    a, b = (s.table("pipeline_executions").set_index("execution_id").sort_index() for s in (one, two))
    assert len(a) == len(b) > 0 and list(a.index) == list(b.index)  # the new snapshot is complete
    assert a["source_revision_time"].equals(b["source_revision_time"])
    assert a["source_revision_summary"].equals(b["source_revision_summary"])

    # a first crawl reads every commit of a CodeCommit source from its repository (BatchGetCommits), and
    # looks up the REVISION_LOOKUPS (accounts.yaml's default) most recent executions of other pipelines
    provider = one.table("pipelines").set_index("name")["source_provider"]
    assert {"CodeCommit", "CodeStarSourceConnection"} <= set(provider)
    assert "codecommit:BatchGetCommits" in ops[0]["operations"]["codepipeline"]
    assert "codecommit:BatchGetCommits" not in ops[1]["operations"]["codepipeline"]
    for name, runs in a.groupby("pipeline_name"):
        runs = runs.sort_values("start_time", ascending=False)
        timed = runs["source_revision_time"].notna()
        assert timed.sum() == (len(runs) if provider[name] == "CodeCommit" else min(REVISION_LOOKUPS, len(runs)))
        assert timed.iloc[:timed.sum()].all()
    # the times are the commit times the fleet's history was built from
    when = {r.sha(plan): r.commit.when for plan in fleet.releases.values() for r in plan.releases}
    known = a[a["source_revision_time"].notna() & a["source_revision"].isin(list(when))]
    assert len(known) >= 5
    assert all(pd.Timestamp(t) == pd.Timestamp(when[s]) for t, s in zip(known["source_revision_time"],
                                                                        known["source_revision"], strict=True))
    messages = set(a["source_revision_summary"].dropna())
    assert any(m.startswith("hotfix: ") for m in messages)
    assert any(m.startswith("release: sprint ") for m in messages)
