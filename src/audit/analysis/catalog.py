"""The catalog as the analysis sees it: the work items whose rules scoring runs on a snapshot.

The models, the loader and the LIMIT 0 dry-run are config (`audit.config.catalog`, which `validate`
uses without a snapshot); running the rules against a snapshot lives here and in `scoring`.
"""

from __future__ import annotations

from audit.config.catalog import UNIT_KEY, Catalog, Item, check_rule, load_catalog, rule_of, rule_sql

__all__ = ["UNIT_KEY", "Catalog", "Item", "check_rule", "load_catalog", "rule_of", "rule_sql"]
