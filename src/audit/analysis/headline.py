"""The headline figures of one snapshot, one row, so the report can trend them over every snapshot kept.

    accounts_crawled / accounts_total   accounts whose crawl read something (ok or partial) / all tried
    deploys_per_week                    the fleet's finished deploys per week (sum over clients)
    change_failure_rate                 failed / finished deploys over the fleet
    time_to_restore_hours               mean over failed deploys (clients weighted by their failures)
    lead_time_hours                     mean commit -> deploy (clients weighted by their deploys), where known
    baseline_coverage                   mean coverage of the onboarding baseline's items
    findings                            security findings recorded by the crawl
    addressable_hours                   hours per year the ranked work items would save, all of them

Every figure is null when this snapshot cannot say (no history, no baseline), never a fake zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.analysis.frames import conform


def _weighted(values: pd.Series, weights: pd.Series) -> float | None:
    known = values.notna() & weights.notna() & (weights > 0)
    return float(np.average(values[known], weights=weights[known])) if known.any() else None


def headline_row(accounts: pd.DataFrame, delivery: pd.DataFrame, baseline: pd.DataFrame,
                 findings: pd.DataFrame, ranking: pd.DataFrame) -> pd.DataFrame:
    """The `headline` table (one row): the snapshot's own date is where it lives, not a column."""
    clients = delivery[delivery["level"] == "client"]
    known = clients[clients["deploys"].notna()]
    deploys = float(known["deploys"].sum()) if len(known) else None
    failures = float(known["failures"].sum()) if len(known) else None
    row = {
        "accounts_total": len(accounts),
        "accounts_crawled": int(accounts["status"].isin(["ok", "partial"]).sum()) if len(accounts) else 0,
        "deploys_per_week": float(known["deploys_per_week"].sum()) if len(known) else None,
        "change_failure_rate": failures / deploys if deploys else None,
        "time_to_restore_hours": _weighted(clients["time_to_restore_hours"], clients["failures"]),
        "lead_time_hours": _weighted(clients["lead_time_hours"], clients["deploys"]),
        "baseline_coverage": float(baseline["coverage"].mean()) if len(baseline) else None,
        "findings": len(findings),
        "addressable_hours": float(ranking["hours_saved_per_year"].sum()) if len(ranking) else None,
    }
    return conform("headline", pd.DataFrame([row]))
