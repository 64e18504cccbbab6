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
