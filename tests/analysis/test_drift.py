"""Drift against the previous snapshot, recomputed when that snapshot was never analysed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from audit.analysis.run import analyze
from audit.analysis.vocab import fingerprint_changes, fingerprint_parts

from .inventory import FP_WEB, FP_WEB_ROLLING, REGION, C, D, inventory_tables, surveys, write

CATALOG = Path(__file__).resolve().parents[2] / "inventory" / "catalog.yaml"


def _last_week() -> dict[str, list[dict]]:
    tables = inventory_tables()
    for name, rows in tables.items():
        tables[name] = [r for r in rows if r.get("account_id") != D]
    for svc in tables["ecs_services"]:
        if svc["account_id"] == C:
            svc["deployment_controller"] = "CODE_DEPLOY"
    return tables


def test_drift_accounts_units_fingerprints(tmp_path):
    root = tmp_path / "inv"
    old = write(root, "2026-01-25", _last_week())
    new = write(root, "2026-02-01", inventory_tables())
    out = analyze(new, CATALOG, surveys())  # previous never analysed: recomputed with the same catalog
    assert not (old.path / "analysis").exists()
    d = out["drift"]
    got = {(r.kind, r.key): (None if pd.isna(r.before) else r.before, None if pd.isna(r.after) else r.after)
           for r in d.itertuples() if r.kind != "rank-moved"}
    assert got == {
        ("account-added", D): (None, "delta"),
        ("unit-added", f"{D}/{REGION}/manual/legacy"): (None, "console -> none -> image -> none -> ecs[rolling]"),
        ("unit-added", f"{D}/{REGION}/manual/cron-job"):
            (None, "console -> none -> zip -> none -> lambda[all-at-once]"),
        ("fingerprint-changed", f"{C}/{REGION}/pipeline/web-charlie"): (FP_WEB, FP_WEB_ROLLING),
    }
    moved = d[d["kind"] == "rank-moved"]
    assert all(b != a for b, a in zip(moved["before"], moved["after"], strict=True))
    said = dict(zip(d["key"], d["detail"], strict=True))
    assert said[D] == f"delta ({D}) crawled for the first time"
    assert said[f"{D}/{REGION}/manual/legacy"] == "new delta: manual legacy (console -> none -> image -> none -> ecs[rolling])"
    assert said[f"{C}/{REGION}/pipeline/web-charlie"] == "charlie: pipeline web-charlie: strategy blue-green → rolling"
    assert all(" → #" in t or "new in the ranking" in t or "no longer matches" in t for t in moved["detail"])


def test_fingerprint_changes_in_words() -> None:
    before = "github -> codebuild -> image -> cloudformation -> ecs[rolling]"
    after = "github -> github-actions -> image -> cloudformation -> ecs[blue-green] + manual-approval + alarm"
    assert fingerprint_changes(before, after) == [
        "build codebuild → github-actions", "strategy rolling → blue-green", "gained gate alarm",
        "gained gate manual-approval"]
    assert fingerprint_changes(after, before)[-2:] == ["lost gate alarm", "lost gate manual-approval"]
    assert fingerprint_parts(after)["gates"] == "manual-approval + alarm"
    assert fingerprint_parts("not a fingerprint")["target"] == "not a fingerprint"


def test_drift_uses_previous_analysis_and_is_empty_without_change(tmp_path):
    root = tmp_path / "inv"
    old = write(root, "2026-01-25", inventory_tables())
    analyze(old, CATALOG, surveys())
    new = write(root, "2026-02-01", inventory_tables())
    out = analyze(new, CATALOG, surveys())
    assert out["drift"].empty
    first = analyze(old, CATALOG, surveys())  # the oldest snapshot has nothing to compare with
    assert first["drift"].empty
