"""The implicit onboarding baseline: what most client accounts already share, written down.

Names embed the client and its account (`acme-artifacts-111111111111`), so each resource is first
reduced to a comparable *item*: roles by trust kind + normalised name, buckets by purpose, ECR
repositories and stacks by normalised name, alarms by namespace/metric, pipelines by fingerprint.
An item present in at least `threshold` of the crawled accounts is part of the baseline.
"""

from __future__ import annotations

import pandas as pd

from audit.analysis.frames import Inventory, conform, table
from audit.analysis.resources import top_level_stacks
from audit.analysis.vocab import normalise_name, text
from audit.names import purpose_of_bucket

THRESHOLD = 0.6


def bucket_purpose(name: str | None, client: str | None = None, account_id: str | None = None) -> str:
    """A bucket's purpose from its name (keywords, audit.names.BUCKET_PURPOSES), else its normalised name."""
    purpose = purpose_of_bucket(text(name))
    return purpose.name if purpose else normalise_name(name, client, account_id)


def _norm(frame: pd.DataFrame) -> list[str]:
    return [normalise_name(n, c, a) for n, c, a in
            zip(frame["name"], frame["client"], frame["account_id"], strict=True)]


def item_sources(inv: Inventory, units: pd.DataFrame | None = None) -> list[tuple[str, pd.DataFrame, list[str]]]:
    """(item_kind, the rows, each row's item) for every kind of comparable item: the one place that
    decides what an item is (the baseline counts them, the onboarding kit reads their rows)."""
    out: list[tuple[str, pd.DataFrame, list[str]]] = []

    def add(kind: str, frame: pd.DataFrame, items: list[str] | pd.Series) -> None:
        if len(frame):
            out.append((kind, frame, list(items)))

    roles = table(inv, "iam_roles")
    roles = roles[~roles["arn"].fillna("").str.contains("aws-service-role")]
    add("iam-role", roles, [f"{t or 'other'}: {n}" for t, n in zip(roles["trust_kind"], _norm(roles), strict=True)])
    buckets = table(inv, "s3_buckets")
    add("s3-bucket", buckets, [bucket_purpose(n, c, a) for n, c, a in
                               zip(buckets["name"], buckets["client"], buckets["account_id"], strict=True)])
    ecr = table(inv, "ecr_repositories")
    add("ecr-repository", ecr, _norm(ecr))
    scan = ecr[ecr["scan_on_push"] == True]  # noqa: E712
    add("ecr-setting", scan, ["scan-on-push"] * len(scan))
    immutable = ecr[ecr["tag_mutability"] == "IMMUTABLE"]
    add("ecr-setting", immutable, ["immutable-tags"] * len(immutable))
    alarms = table(inv, "cloudwatch_alarms")
    add("cloudwatch-alarm", alarms, [f"{ns}/{m}" for ns, m in
                                     zip(alarms["namespace"], alarms["metric_name"], strict=True)])
    oidc = table(inv, "iam_oidc_providers")
    add("oidc-provider", oidc, oidc["provider_kind"].fillna("other").tolist())
    stacks = top_level_stacks(inv)  # nested stacks count as their root
    add("stack", stacks, _norm(stacks))
    if units is not None and len(units):
        pipes = units[(units["kind"] == "pipeline") & units["account_id"].notna()]
        add("pipeline-shape", pipes, pipes["fingerprint"].tolist())
    return out


def baseline_items(inv: Inventory, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long form (account_id, item_kind, item): every comparable item each account has."""
    parts = [pd.DataFrame({"account_id": frame["account_id"].values, "item_kind": kind, "item": items})
             for kind, frame, items in item_sources(inv, units)]
    if not parts:
        return pd.DataFrame(columns=["account_id", "item_kind", "item"])
    return pd.concat(parts, ignore_index=True).drop_duplicates()


def crawled_accounts(inv: Inventory) -> pd.DataFrame:
    """Accounts whose crawl did not fail (a failed account is unknown, not missing everything)."""
    acc = table(inv, "accounts")
    return acc[acc["status"].fillna("ok") != "failed"][["account_id", "client"]].drop_duplicates("account_id")


def baseline(inv: Inventory, units: pd.DataFrame | None = None, threshold: float = THRESHOLD) -> pd.DataFrame:
    """Items present in >= threshold of the crawled accounts, with coverage and the clients missing them."""
    accounts = crawled_accounts(inv)
    total = len(accounts)
    items = baseline_items(inv, units)
    items = items[items["account_id"].isin(accounts["account_id"])]
    if total == 0 or items.empty:
        return conform("baseline", pd.DataFrame())
    counts = items.groupby(["item_kind", "item"])["account_id"].nunique().rename("accounts_with").reset_index()
    counts["coverage"] = counts["accounts_with"] / total
    counts = counts[counts["coverage"] >= threshold - 1e-9].copy()
    client_of = dict(zip(accounts["account_id"], accounts["client"], strict=True))
    have = items.groupby(["item_kind", "item"])["account_id"].agg(set)
    everyone = set(accounts["account_id"])
    counts["missing_clients"] = [sorted(client_of[a] for a in everyone - have[(k, i)])
                                 for k, i in zip(counts["item_kind"], counts["item"], strict=True)]
    counts["accounts_total"] = total
    counts = counts.sort_values(["coverage", "item_kind", "item"], ascending=[False, True, True])
    return conform("baseline", counts)
