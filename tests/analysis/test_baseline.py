"""The onboarding baseline: >= 60% of the crawled accounts, normalised names, failed accounts excluded."""

from __future__ import annotations

from audit.analysis.baseline import baseline, bucket_purpose
from audit.analysis.units import build_units


def test_baseline_items_coverage_and_missing_clients(inv):
    b = baseline(inv, build_units(inv))
    got = {(r.item_kind, r.item): (r.accounts_with, r.accounts_total, list(r.missing_clients))
           for r in b.itertuples()}
    # 4 accounts crawled (echo failed: unknown, not counted); 3 of 4 = 0.75 >= 0.6; 2 of 4 are not baseline
    assert got == {
        ("cloudwatch-alarm", "AWS/ECS/CPUUtilization"): (3, 4, ["delta"]),
        ("iam-role", "cross-account: {client}-deploy-role"): (3, 4, ["delta"]),
        ("stack", "web-{client}-stack"): (3, 4, ["delta"]),
    }
    assert set(b["coverage"]) == {0.75}


def test_lower_threshold_adds_half_covered_items(inv):
    b = baseline(inv, build_units(inv), threshold=0.5)
    items = set(zip(b["item_kind"], b["item"], strict=True))
    assert ("s3-bucket", "pipeline-artifacts") in items
    assert ("pipeline-shape", "github -> codebuild -> image -> cloudformation -> ecs[blue-green] + manual-approval") \
        in items
    assert not any(i.startswith("other") for _, i in items)  # the service-linked role is ignored


def test_bucket_purpose():
    assert bucket_purpose("acme-codepipeline-artifacts-123456789012", "acme") == "pipeline-artifacts"
    assert bucket_purpose("cdk-hnb659fds-assets-123456789012-eu-west-1") == "cdk-assets"
    assert bucket_purpose("acme-data-lake", "acme") == "{client}-data-lake"


def test_one_bucket_purpose_table_says_which_buckets_are_delivery_buckets():
    """audit.names.BUCKET_PURPOSES is the one table: the analysis's purposes and the crawler's
    delivery buckets (whose settings it reads) come from it."""
    from audit.names import BUCKET_PURPOSES, is_delivery_bucket, purpose_of_bucket

    assert {p.name for p in BUCKET_PURPOSES if p.delivery} == {"cdk-assets", "sam-artifacts", "pipeline-artifacts",
                                                               "terraform-state"}
    assert is_delivery_bucket("acme-cicd-artifacts-123456789012") and is_delivery_bucket("aws-sam-cli-managed-x")
    assert is_delivery_bucket("acme-tfstate") and is_delivery_bucket("codepipeline-eu-west-1-123456789012")
    assert not is_delivery_bucket("acme-access-logs") and not is_delivery_bucket("acme-www-1")
    assert not is_delivery_bucket("acme-data-lake") and not is_delivery_bucket(None)
    assert purpose_of_bucket("acme-data-lake") is None
    assert all(bucket_purpose(n) == purpose_of_bucket(n).name for n in ("x-cloudtrail", "x-backup", "x-static"))


def test_a_snapshot_from_before_the_onboarding_columns_still_loads(tmp_path):
    """Old snapshots lack iam_roles/s3_buckets/ecr/alarm columns added for issue 15: they load with
    those columns null and the baseline is computed as before."""
    import pyarrow.parquet as pq

    from audit.analysis.frames import load_inventory, table
    from audit.store.snapshots import open_snapshot, write_snapshot

    row = {"account_id": "111111111111", "client": "acme", "region": "global", "arn": "arn:aws:s3:::acme-artifacts",
           "name": "acme-artifacts", "tags": "{}", "website": False, "bucket_region": "eu-west-1"}
    snap_dir = write_snapshot(tmp_path, "2026-01-01", {"s3_buckets": [row]})
    path = snap_dir / "s3_buckets.parquet"
    pq.write_table(pq.read_table(path, columns=list(row)), path)  # as an older crawl wrote it
    inv = load_inventory(open_snapshot(snap_dir), ["s3_buckets"])
    assert "settings_read" not in inv["s3_buckets"].columns
    buckets = table(inv, "s3_buckets")
    assert buckets.loc[0, "name"] == "acme-artifacts"
    assert buckets[["settings_read", "versioning", "encryption", "public_access_blocked"]].isna().all().all()
