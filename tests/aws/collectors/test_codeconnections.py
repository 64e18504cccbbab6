"""CodeConnections: each connection with its provider, and the pipeline source that uses it.

moto has no CodeConnections backend; the fleet answers ListConnections and ListTagsForResource for
its own connections (audit.demo.connections) in the shape of the API reference:
https://docs.aws.amazon.com/codeconnections/latest/APIReference/API_ListConnections.html
(Connections[] of ConnectionName, ConnectionArn, ProviderType, OwnerAccountId, ConnectionStatus,
HostArn; NextToken). Connections made before the 2024 rename keep `arn:aws:codestar-connections:`
ARNs, newer ones have `arn:aws:codeconnections:`; the fleet has both.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.analysis.frames import load_inventory
from audit.analysis.units import build_units, connection_key
from audit.analysis.vocab import source_of
from audit.aws.collectors import codeconnections
from audit.aws.crawler import crawl
from audit.config import load_accounts
from audit.demo import connections as fleet_connections
from audit.options import CrawlOptions
from audit.store.snapshots import open_snapshot


def _crawlable(fleet) -> list:
    troubled = set(fleet.faults["assume_role_denied"])
    return [c for c in fleet.model.clients if c.account_id not in troubled]


def test_fleet_crawl_returns_each_seeded_connection_with_its_provider(fleet, fleet_snapshot) -> None:
    got = open_snapshot(fleet_snapshot.snapshot_dir).table("connections")
    seeded = {c.arn: (spec.account_id, region, c) for spec in _crawlable(fleet) for region in fleet.model.regions
              for c in fleet_connections.connections(spec.account_id, region)}
    assert len(seeded) > len(_crawlable(fleet)) > 0
    assert sorted(got["arn"]) == sorted(seeded)
    for row in got.to_dict("records"):
        account, region, c = seeded[row["arn"]]
        assert (row["account_id"], row["region"], row["name"]) == (account, region, c.name)
        host = row["host_arn"] if isinstance(row["host_arn"], str) else None
        assert (row["provider_type"], row["status"], host) == (c.provider_type, c.status, c.host_arn)
        assert row["owner_account_id"] == account
        assert json.loads(row["tags"]) == c.tags and c.tags  # read through the API of the ARN's own prefix
    assert {a.split(":")[2] for a in got["arn"]} == {"codestar-connections", "codeconnections"}
    assert {"GitHub", "Bitbucket", "GitLabSelfManaged"} <= set(got["provider_type"])
    assert set(got.loc[got["provider_type"] == "GitLabSelfManaged", "host_arn"].str.contains(":host/"))  == {True}


def test_a_pipeline_source_names_its_connection_provider(fleet_snapshot) -> None:
    snap = open_snapshot(fleet_snapshot.snapshot_dir)
    pipelines, conns = snap.table("pipelines"), snap.table("connections")
    provider = {connection_key(a): p for a, p in zip(conns["arn"], conns["provider_type"], strict=True)}
    sourced = pipelines[pipelines["source_provider"] == "CodeStarSourceConnection"]
    assert len(sourced) > 0
    assert {provider.get(connection_key(a)) for a in sourced["source_connection_arn"]} == {"GitHub"}
    assert pipelines.loc[pipelines["source_provider"] != "CodeStarSourceConnection", "source_connection_arn"].isna().all()

    # the analysis joins pipeline -> connection: the unit's source is the connection's provider
    inv = load_inventory(snap)
    units = build_units(inv)
    assert set(units.loc[units["pipeline_name"].isin(sourced["name"]), "source"]) == {"github"}
    one = sourced.iloc[0]
    moved = conns["arn"].map(connection_key) == connection_key(one["source_connection_arn"])
    inv["connections"] = conns.assign(provider_type=conns["provider_type"].where(~moved, "GitLabSelfManaged"))
    units = build_units(inv)
    by_pipeline = dict(zip(units["pipeline_name"], units["source"], strict=False))
    assert by_pipeline[one["name"]] == "gitlab"


def test_the_source_is_the_connection_provider_whatever_the_arn_prefix() -> None:
    legacy = "arn:aws:codestar-connections:eu-west-1:111122223333:connection/abc"
    renamed = legacy.replace("codestar-connections", "codeconnections")
    assert connection_key(legacy) == connection_key(renamed) and connection_key(None) is None
    assert source_of("CodeStarSourceConnection", None, "GitLabSelfManaged") == "gitlab"
    assert source_of("CodeStarSourceConnection", "https://gitlab.com/a/b", "Bitbucket") == "bitbucket"
    assert source_of("CodeStarSourceConnection", "https://gitlab.com/a/b", None) == "gitlab"  # not crawled: the URL
    assert source_of("CodeStarSourceConnection", None, None) == "github"
    assert source_of("CodeCommit", None, "GitHub") == "codecommit"


def test_connections_are_paged_by_next_token(fleet, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = next(c for c in _crawlable(fleet) if len(fleet_connections.connections(c.account_id, c.home_region)) >= 2)
    calls = []
    monkeypatch.setattr(codeconnections, "input_max", lambda *a: 1)  # one connection per page
    original = codeconnections.list_connections

    def counting(ctx):
        ctx.client(codeconnections.SERVICE).meta.events.register(
            "before-parameter-build.codeconnections.ListConnections", lambda params, **kw: calls.append(dict(params)))
        return original(ctx)

    monkeypatch.setattr(codeconnections, "list_connections", counting)
    result = crawl(load_accounts(fleet.accounts_file), tmp_path, CrawlOptions(
        endpoint_url=fleet.endpoint_url, accounts_only=(spec.account_id,), regions=(spec.home_region,),
        services=("codeconnections",), progress=False))
    got = open_snapshot(result.snapshot_dir).table("connections")
    assert sorted(got["arn"]) == [c.arn for c in fleet_connections.connections(spec.account_id, spec.home_region)]
    assert len(calls) == len(got) and all(c["MaxResults"] == 1 for c in calls) and "NextToken" in calls[-1]


def test_a_denied_list_connections_is_one_error_row_and_costs_only_connections(fleet, tmp_path: Path) -> None:
    spec = _crawlable(fleet)[0]
    config = load_accounts(fleet.accounts_file)
    options = CrawlOptions(endpoint_url=fleet.endpoint_url, accounts_only=(spec.account_id,),
                           regions=(spec.home_region,), services=("codeconnections", "codepipeline"), progress=False)
    clean = open_snapshot(crawl(config, tmp_path / "clean", options).snapshot_dir)
    with fleet.inject("deny=codeconnections:ListConnections"):
        denied = open_snapshot(crawl(config, tmp_path / "denied", options).snapshot_dir)
    errors = denied.table("errors").to_dict("records")
    assert [(e["collector"], e["operation"], e["error_class"]) for e in errors] == [
        ("codeconnections", "ListConnections", "access-denied")]
    assert len(clean.table("connections")) > 0 and denied.table("connections").empty
    for table in ("pipelines", "pipeline_actions", "pipeline_executions"):
        assert sorted(denied.table(table)["pipeline_name" if table != "pipelines" else "arn"]) == \
            sorted(clean.table(table)["pipeline_name" if table != "pipelines" else "arn"])
