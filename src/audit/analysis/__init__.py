"""From a snapshot to the lead meeting's answers (see docs/analysis.md).

    units      deployable units joined from both sides, with their fingerprint
    patterns   patterns, overlap matrices, Jaccard similarity, drift inside a team
    baseline   the implicit onboarding checklist (>= 60% of accounts)
    delivery   deploy frequency, change failure rate, restore and lead time, sprint-end share
    catalog    catalog.yaml models and validation (rules dry-run in DuckDB)
    scoring    coverage, hours saved, ROI, WSJF, dependency order, rank stability
    drift      what changed since the previous snapshot
    run        `cicd-audit analyze`: all of it, written beside the snapshot
"""
