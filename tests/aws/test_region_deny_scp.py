"""A region-deny SCP: real AWS answers every call in the denied region with AccessDenied "... with an
explicit deny in a service control policy" (https://docs.aws.amazon.com/organizations/latest/userguide/
orgs_manage_policies_scps_examples_general.html#example-scp-deny-region). Served over HTTP by the fault
layer (`scp-deny-region=`): the account is listed, partial, with ONE scp-denied row for the region (not
one per collector), the other region and the global collectors keep every row, and the summary names
the class."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from audit.aws.crawler import crawl
from audit.config import load_accounts
from audit.demo.compare import identity_columns
from audit.options import CrawlOptions
from audit.store.schema import TABLES
from audit.store.snapshots import open_snapshot

DENIED, OTHER = "eu-west-1", "us-east-1"


def _rows(snapshot_dir: Path) -> dict[str, Counter]:
    """Row identities of every crawl resource table, outside the denied region."""
    snap = open_snapshot(snapshot_dir)
    out = {}
    for name, table in TABLES.items():
        if table.source != "crawl" or name in ("accounts", "errors"):
            continue
        df = snap.table(name)
        df = df[df["region"] != DENIED] if len(df) else df
        cols = list(identity_columns(name))
        out[name] = Counter(tuple(map(str, r)) for r in df[cols].itertuples(index=False))
    return out


def test_region_deny_scp_is_one_row_and_costs_only_its_region(fleet, tmp_path: Path) -> None:
    troubled = set(fleet.faults["assume_role_denied"]) | {d[0] for d in fleet.faults["denied"]}
    # a client living in the other region, so that region has rows to lose
    account = next(c.account_id for c in fleet.model.clients if c.home_region == OTHER and c.account_id not in troubled)
    config = load_accounts(fleet.accounts_file)
    options = CrawlOptions(endpoint_url=fleet.endpoint_url, accounts_only=(account,), regions=(DENIED, OTHER),
                           progress=False)
    clean = crawl(config, tmp_path / "clean", options)
    with fleet.inject(f"scp-deny-region={DENIED}") as stats:
        denied = crawl(config, tmp_path / "denied", options)
    assert stats.denied >= 10  # every regional collector was refused there

    snap = open_snapshot(denied.snapshot_dir)
    (row,) = snap.table("accounts").to_dict("records")
    assert (row["account_id"], row["status"], row["error_count"]) == (account, "partial", 1)
    errors = snap.table("errors").to_dict("records")
    assert [(e["region"], e["error_class"], e["collector"]) for e in errors] == [(DENIED, "scp-denied", "region")]
    assert "explicit deny in a service control policy" in errors[0]["message"] and errors[0]["operation"]

    assert open_snapshot(clean.snapshot_dir).table("errors").empty
    expected, got = _rows(clean.snapshot_dir), _rows(denied.snapshot_dir)
    assert sum(map(len, expected.values())) > 40  # the other region and IAM have rows to lose
    assert {t: sum((expected[t] - got[t]).values()) for t in expected if expected[t] - got[t]} == {}
    assert any(k[1] == OTHER for c in got.values() for k in c)  # regional rows, not only global ones

    assert denied.exit_code == 0 and denied.error_classes == {"scp-denied": 1}
    assert "errors by class: scp-denied 1" in denied.summary()
