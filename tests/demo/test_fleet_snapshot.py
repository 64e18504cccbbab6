"""The session fleet crawled and scanned (`fleet_snapshot`): the snapshot holds exactly what the
fleet seeded, the faults show up as errors, and no seeded secret value is written anywhere."""

from __future__ import annotations

import pyarrow.parquet as pq


def _rows(snapshot_dir, table: str):
    path = snapshot_dir / f"{table}.parquet"
    return pq.read_table(path).to_pandas() if path.exists() else None


def test_every_crawl_table_has_the_seeded_row_count_per_account(fleet_snapshot):
    fleet, snap = fleet_snapshot.fleet, fleet_snapshot.snapshot_dir
    mismatches = []
    for table in next(iter(fleet.expected.values())):
        frame = _rows(snap, table)
        for acct, expected in fleet.expected.items():
            got = 0 if frame is None else int((frame["account_id"] == acct).sum())
            if got != expected[table]:
                mismatches.append((acct, table, expected[table], got))
    assert mismatches == []


def test_faults_are_error_rows_and_other_accounts_are_complete(fleet_snapshot):
    fleet, snap = fleet_snapshot.fleet, fleet_snapshot.snapshot_dir
    errors = _rows(snap, "errors")
    [denied] = fleet.faults["assume_role_denied"]
    assert set(errors[errors["account_id"] == denied]["error_class"]) == {"access-denied"}  # its AssumeRole
    [(acct, region, service)] = fleet.faults["denied"]
    hit = errors[(errors["account_id"] == acct) & (errors["region"] == region)]
    assert "scp-denied" in set(hit["error_class"])  # the fleet denies it with a service control policy
    accounts = _rows(snap, "accounts").set_index("account_id")
    assert accounts.loc[denied, "status"] == "failed"
    assert accounts.loc[acct, "status"] in {"partial", "ok"}


def test_no_seeded_secret_value_is_in_any_output_file(fleet_snapshot):
    fleet = fleet_snapshot.fleet
    assert fleet.secrets
    for path in fleet_snapshot.inventory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in fleet.secrets:
                assert secret.encode() not in data, f"{secret[:6]}... found in {path}"


def test_scan_finds_the_expected_repo_traits(fleet_snapshot):
    fleet, snap = fleet_snapshot.fleet, fleet_snapshot.snapshot_dir
    traits = _rows(snap, "repo_traits")
    assert traits is not None, "the fixture scans the fleet's repositories"
    got: dict[str, dict[str, set[str]]] = {}
    for row in traits.itertuples():
        got.setdefault(row.repo, {}).setdefault(row.family, set()).add(row.value)
    for repo, families in fleet.repo_traits_expected.items():
        for family, values in families.items():
            assert got.get(repo, {}).get(family, set()) == set(values), (repo, family)


def test_findings_are_exactly_the_planted_ones(fleet_snapshot):
    fleet, snap = fleet_snapshot.fleet, fleet_snapshot.snapshot_dir
    findings = _rows(snap, "findings")
    for acct, expected in fleet.findings.items():
        rows = findings[findings["account_id"] == acct]
        got = sorted((r.kind, r.resource_name, r.detail if r.kind == "plaintext-secret-variable" else None)
                     for r in rows.itertuples())
        assert got == [tuple(e) for e in expected], acct
    assert any(fleet.findings.values())


def test_every_crawled_resource_carries_tags(fleet_snapshot):
    from audit.store.schema import TABLES

    for name, table in TABLES.items():
        if table.source != "crawl" or "tags" not in table.column_names or name == "accounts":
            continue
        frame = _rows(fleet_snapshot.snapshot_dir, name)
        if frame is None or frame.empty:
            continue
        untagged = frame[frame["tags"].isna() | frame["tags"].isin(["", "{}", "[]"])]
        assert untagged.empty, (name, list(untagged["name"])[:5])


def test_release_tags_are_classified_by_the_survey_calendar(fleet_snapshot):
    """The scanner, reading the surveys the fleet wrote, sees each tag as the fleet planned it."""
    fleet, snap = fleet_snapshot.fleet, fleet_snapshot.snapshot_dir
    activity = _rows(snap, "repo_activity")
    got = {(r.repo, r.tag): r.release_kind for r in activity.itertuples()}
    planned = {(repo, r.tag): r.kind for repo, plan in fleet.releases.items() if repo in fleet.model.repos
               for r in plan.releases}
    assert got == planned


def test_the_unlisted_pipeline_source_is_reported(fleet_snapshot):
    from audit.analysis.frames import load_inventory
    from audit.analysis.links import link_repos
    from audit.demo.model import ORG, UNMATCHED_REPO
    from audit.store.snapshots import open_snapshot

    _, unmatched = link_repos(load_inventory(open_snapshot(fleet_snapshot.snapshot_dir)))
    assert f"{ORG}/{UNMATCHED_REPO}" in set(unmatched["source_repository"])
    listed = {f"{ORG}/{r}" for r in fleet_snapshot.fleet.model.repos}
    assert not listed & set(unmatched["source_repository"])
