"""What an onboarding template needs comes back from a crawl of the session fleet as seeded: the
delivery buckets' settings (and no settings read for other buckets), the baseline roles' policies,
session length and trust facts, the alarms' conditions; a denied settings call costs only its value."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq

from audit.aws.crawler import crawl
from audit.config import load_accounts
from audit.demo.baseline import (
    AUDIT_POLICIES,
    AUDIT_SESSION_SECONDS,
    CDK_STAGING,
    DEPLOY_INLINE,
    DEPLOY_POLICIES,
    OPS_POLICIES,
    cdk_staging_bucket,
)
from audit.demo.model import AUDIT_ROLE, TOOLING_ACCOUNT, BucketSettings
from audit.demo.seed import artifacts_bucket
from audit.names import is_delivery_bucket
from audit.options import CrawlOptions

SETTINGS = ["settings_read", "versioning", "encryption", "bucket_key_enabled", "public_access_blocked"]


def _table(snapshot_dir, name: str) -> pd.DataFrame:
    return pq.read_table(snapshot_dir / f"{name}.parquet").to_pandas()


def _crawled(fleet) -> list:
    return [c for c in fleet.model.clients if c.account_id not in fleet.faults["assume_role_denied"]]


def _expected(settings: BucketSettings) -> tuple:
    return (True, settings.versioning, settings.encryption, settings.encryption == "aws:kms",
            settings.public_access_block)


def _settings(row: pd.Series) -> tuple:
    return tuple(None if pd.isna(v) else v for v in row[SETTINGS])


def test_delivery_buckets_come_back_with_their_seeded_settings_and_no_other_bucket_is_read(fleet_snapshot):
    fleet, snap = fleet_snapshot.fleet, fleet_snapshot.snapshot_dir
    buckets = _table(snap, "s3_buckets").set_index("name")
    seen = set()
    for spec in _crawled(fleet):
        if spec.baseline.artifacts_bucket:
            assert _settings(buckets.loc[artifacts_bucket(spec)]) == _expected(spec.baseline.artifacts_settings)
            seen.add(spec.baseline.artifacts_settings)
        if spec.baseline.cdk_bootstrap:
            assert _settings(buckets.loc[cdk_staging_bucket(spec)]) == _expected(CDK_STAGING)
    assert len(seen) == 3  # the standard set-up, one aws:kms client, one unversioned client without a block
    others = buckets[[not is_delivery_bucket(n) for n in buckets.index]]
    assert len(others) and not others["settings_read"].any()
    assert others[SETTINGS[1:]].isna().all().all()  # not read: unknown, never "off"


def test_baseline_roles_carry_their_policies_session_and_trust_facts_without_the_external_id(fleet_snapshot):
    fleet, snap = fleet_snapshot.fleet, fleet_snapshot.snapshot_dir
    roles = _table(snap, "iam_roles")
    for spec in _crawled(fleet):
        mine = roles[roles["account_id"] == spec.account_id].set_index("name")
        audit = mine.loc[AUDIT_ROLE]
        assert (list(audit["managed_policy_arns"]), list(audit["inline_policy_names"])) == (list(AUDIT_POLICIES), [])
        assert (audit["max_session_seconds"], audit["external_id_required"]) == (AUDIT_SESSION_SECONDS, True)
        assert list(audit["trust_accounts"]) == [TOOLING_ACCOUNT] and audit["path"] == "/"
        if spec.baseline.github_oidc:
            deploy = mine.loc["github-actions-deploy"]
            assert list(deploy["managed_policy_arns"]) == list(DEPLOY_POLICIES)
            assert list(deploy["inline_policy_names"]) == list(DEPLOY_INLINE)
            assert list(deploy["oidc_audiences"]) == ["sts.amazonaws.com"]
            assert list(deploy["oidc_subjects"]) == ["repo:consultancy/*:ref:refs/heads/main"]
            assert not deploy["external_id_required"] and list(deploy["trust_accounts"]) == []
        if spec.baseline.ops_access_role:
            assert list(mine.loc["ConsultancyOpsAccess", "managed_policy_arns"]) == list(OPS_POLICIES)
    assert "consultancy-audit" not in json.dumps(roles.to_dict("records"), default=str)  # the external id


def test_baseline_alarms_carry_their_conditions(fleet_snapshot):
    fleet, snap = fleet_snapshot.fleet, fleet_snapshot.snapshot_dir
    alarms = _table(snap, "cloudwatch_alarms")
    cols = ["statistic", "comparison_operator", "threshold", "period", "evaluation_periods", "treat_missing_data"]
    with_alarms = {c.account_id for c in _crawled(fleet) if c.baseline.alarms}
    assert with_alarms
    for name, expected in {
        "consultancy-root-login": ("Sum", "GreaterThanOrEqualToThreshold", 1.0, 300, 1, "notBreaching"),
        "consultancy-billing-estimate": ("Maximum", "GreaterThanThreshold", 1000.0, 21600, 1, None),
    }.items():
        rows = alarms[alarms["name"] == name]
        assert set(rows["account_id"]) == with_alarms
        assert {tuple(None if pd.isna(v) else v for v in r) for r in rows[cols].itertuples(index=False)} == {expected}


def test_a_denied_settings_call_costs_only_that_value(fleet, tmp_path):
    """Deny GetBucketEncryption and ListRoles (AccessDenied over HTTP, audit.demo.inject) in the first
    client's account: each delivery bucket loses its encryption and bucket key only (one errors row
    each), every role its max_session_seconds only (one errors row); every row and every other
    column stays."""
    spec = fleet.model.clients[0]
    config = load_accounts(fleet.accounts_file)
    picked = [c.model_copy(update={"regions": [spec.home_region]}) for c in config.clients
              if c.account_id == spec.account_id]
    config = config.model_copy(update={"clients": picked})
    options = CrawlOptions(endpoint_url=fleet.endpoint_url, progress=False, services=("s3", "iam"))
    with fleet.inject("deny=s3:GetBucketEncryption,deny=iam:ListRoles"):
        snap = crawl(config, tmp_path, options).snapshot_dir
    buckets, roles, errors = (_table(snap, t) for t in ("s3_buckets", "iam_roles", "errors"))
    expected = fleet.expected[spec.account_id]
    assert (len(buckets), len(roles)) == (expected["s3_buckets"], expected["iam_roles"])
    delivery = buckets[[is_delivery_bucket(n) for n in buckets["name"]]].set_index("name")
    assert len(delivery) == 2  # the artifacts bucket and CDK's staging bucket
    denied = errors[errors["operation"] == "GetBucketEncryption"]
    assert len(denied) == len(delivery) and set(denied["error_class"]) == {"access-denied"}
    artifacts = spec.baseline.artifacts_settings
    for name, settings in ((artifacts_bucket(spec), artifacts), (cdk_staging_bucket(spec), CDK_STAGING)):
        got = _settings(delivery.loc[name])
        assert got == (True, settings.versioning, None, None, settings.public_access_block)
    assert [(e.operation, e.error_class) for e in errors[errors["collector"] == "iam"].itertuples()] == [
        ("ListRoles", "access-denied")]
    assert roles["max_session_seconds"].isna().all()
    audit = roles.set_index("name").loc[AUDIT_ROLE]
    assert list(audit["managed_policy_arns"]) == list(AUDIT_POLICIES) and audit["external_id_required"]
