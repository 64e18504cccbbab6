"""The `risk_findings` table: security and ownership risks the meeting should see as risks, not only as work.

One row per risky resource, four kinds:

    plaintext-secret   a secret-looking variable stored as plaintext (crawl `findings`; the name, never the value)
    ci-access-key      an IAM user named like a CI/deploy user with an active access key, at any age
                       (the crawl's own `long-lived-access-key` finding waits for 90 days; a fresh
                       static key on a CI user is the same risk), its oldest key's age shown
    ecr-scan-off       an ECR repository without scan-on-push
    unmanaged-compute  a deployable unit no pipeline and no stack owns (`units.kind = 'manual'`)

Each row links to the work item that fixes it: the best-ranked catalog item whose rule matched that
resource (the same hits scoring uses), so the link follows the catalog and is empty when no item
covers the resource. Named `risk_findings` because `findings` is the crawl's own table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from audit.analysis.frames import table

CI_USER = re.compile(r"(ci|cd|deploy|github|gitlab|bitbucket|jenkins|build|pipeline)", re.I)
KINDS = {
    "plaintext-secret": "Plaintext secrets in build or runtime variables",
    "ci-access-key": "CI/deploy users with active long-lived access keys",
    "ecr-scan-off": "ECR repositories without scan-on-push",
    "unmanaged-compute": "Compute no pipeline or stack owns",
}
COLUMNS = ["kind", "title", "account_id", "client", "region", "resource", "resource_key", "detail"]


def _clients(inv: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    acc = table(inv, "accounts")
    return dict(zip(acc["account_id"], acc["client"], strict=True)) if len(acc) else {}


def _secrets(inv: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    f = table(inv, "findings")
    f = f[f["kind"] == "plaintext-secret-variable"] if len(f) else f
    return pd.DataFrame({"kind": "plaintext-secret", "account_id": f.get("account_id"), "region": f.get("region"),
                         "resource": f.get("resource_name"),
                         "resource_key": f["resource_arn"].fillna(f["resource_name"]) if len(f) else None,
                         "detail": [f"{c} variable {d}" for c, d in zip(f.get("collector", []), f.get("detail", []),
                                                                       strict=True)]})


def _keys(inv: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    u = table(inv, "iam_users")
    if len(u):
        u = u[(u["active_key_count"].fillna(0) > 0) & u["name"].fillna("").str.contains(CI_USER)]

    def detail(row: pd.Series) -> str:
        age = "unknown age" if pd.isna(row["oldest_key_age_days"]) else f"oldest key {int(row['oldest_key_age_days'])} days old"
        return f"{int(row['active_key_count'])} active key(s), {age}"

    return pd.DataFrame({"kind": "ci-access-key", "account_id": u.get("account_id"), "region": u.get("region"),
                         "resource": u.get("name"), "resource_key": u.get("arn"),
                         "detail": [detail(r) for _, r in u.iterrows()] if len(u) else []})


def _ecr(inv: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    e = table(inv, "ecr_repositories")
    e = e[~e["scan_on_push"].fillna(False).astype(bool)] if len(e) else e
    return pd.DataFrame({"kind": "ecr-scan-off", "account_id": e.get("account_id"), "region": e.get("region"),
                         "resource": e.get("name"), "resource_key": e.get("arn"),
                         "detail": ["scan on push off" + ("" if pd.isna(t) else f", tags {str(t).lower()}")
                                    for t in e.get("tag_mutability", [])]})


def _manual(units: pd.DataFrame) -> pd.DataFrame:
    m = units[units["kind"] == "manual"] if len(units) else units
    return pd.DataFrame({"kind": "unmanaged-compute", "account_id": m.get("account_id"), "region": m.get("region"),
                         "resource": m.get("name"), "resource_key": m.get("unit_id"),
                         "detail": [f"{t or 'unknown target'}, no pipeline, no stack" for t in m.get("target", [])]})


def risk_findings(inv: Mapping[str, pd.DataFrame], units: pd.DataFrame, hits: pd.DataFrame,
                  ranking: pd.DataFrame) -> pd.DataFrame:
    """Every risky resource with its client and the best-ranked work item whose rule covers it."""
    parts = [p for p in (_secrets(inv), _keys(inv), _ecr(inv), _manual(units)) if len(p)]
    if not parts:
        return pd.DataFrame(columns=COLUMNS + ["item_id"])
    out = pd.concat(parts, ignore_index=True)
    out["title"] = out["kind"].map(KINDS)
    out["client"] = out["account_id"].map(_clients(inv))
    rank = dict(zip(ranking["item_id"], ranking["rank"], strict=True)) if len(ranking) else {}
    fixes = hits.assign(rank=hits["item_id"].map(rank)).sort_values(["rank", "item_id"], kind="stable") \
        .drop_duplicates(["account_id", "unit_id"]) if len(hits) else hits
    best = {(a, u): i for a, u, i in zip(fixes.get("account_id", []), fixes.get("unit_id", []),
                                         fixes.get("item_id", []), strict=True)}
    out["item_id"] = [best.get((a, k)) for a, k in zip(out["account_id"], out["resource_key"], strict=True)]
    return out.sort_values(["kind", "client", "resource"], kind="stable").reset_index(drop=True)
