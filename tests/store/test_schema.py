"""The table declarations are the one place the facts about a resource type live."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from dateutil.tz import tzoffset, tzutc

from audit.analysis.resources import STACK_RESOURCE_TARGETS
from audit.store import schema
from audit.store.schema import CFN_TABLES, GLOBAL_TABLES, RESOURCE_TYPES, TABLES


def test_every_resource_table_declares_its_resource_type() -> None:
    with_managed_by = {n for n, t in TABLES.items() if "managed_by" in t.column_names}
    assert set(RESOURCE_TYPES) == with_managed_by
    cfn = [c for r in RESOURCE_TYPES.values() for c in r.cfn_types]
    assert len(cfn) == len(set(cfn)) == len(CFN_TABLES)  # a CloudFormation type names one table
    assert {"s3_buckets", "cloudfront_distributions", "iam_roles", "iam_oidc_providers", "iam_users"} == GLOBAL_TABLES
    assert STACK_RESOURCE_TARGETS["AWS::Serverless::Function"].target == "lambda"


def test_arn_shapes_are_patterns() -> None:
    kind = RESOURCE_TYPES["lambda_functions"]
    assert kind.arn_pattern().fullmatch("arn:aws:lambda:eu-west-1:123456789012:function:ingest")
    assert kind.arn_pattern().fullmatch("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:x")
    assert not kind.arn_pattern().fullmatch("arn:aws:ecr:eu-west-1:123456789012:repository/ingest")
    api = RESOURCE_TYPES["apigateway_apis"].arn_pattern()
    assert api.fullmatch("arn:aws:apigateway:eu-west-1::/restapis/a1b2")
    assert not api.fullmatch("arn:aws:apigateway:eu-west-1:123456789012:/restapis/a1b2")


def test_store_imports_nothing_of_the_project_above_it() -> None:
    for path in Path(schema.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            bad = [n for n in names if n.startswith("audit.")
                   and not n.startswith(("audit.store", "audit.errors", "audit._version",
                                         "audit.logs"))]  # logs: the ground floor (redact), as tests/test_layering.py
            assert bad == [], (path.name, bad)


def test_documented_data_dictionary_is_current() -> None:
    """docs/tables.md is generated from the declarations (`make docs`); a declaration changed without it fails."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "tables.md"
    assert doc.read_text(encoding="utf-8") == schema.data_dictionary() + "\n", "regenerate: make docs"


def test_cells_are_coerced_per_declared_type() -> None:
    """to_arrow picks one coercion per column: timestamps become UTC instants (a plain datetime,
    naive = UTC, without pandas), dicts and lists in string columns sorted JSON, NaN and NaT null."""
    when = datetime(2026, 12, 2, 15, 22, 0, 123456, tzinfo=UTC)
    same = [when, when.replace(tzinfo=None), when.replace(tzinfo=tzutc()),
            when.astimezone(timezone(timedelta(hours=2))), when.astimezone(tzoffset("X", -3600)),
            pd.Timestamp(when), "2026-12-02T15:22:00.123456Z"]
    for value in same:
        assert schema._cell(value, schema.TS) == when, value
        assert schema._cell(value, schema.TS).tzinfo is not None
    rows = [{"account_id": "1", "status": None, "calls": float("nan"), "seconds": 1.5, "regions": ["a"],
             "tags": {"b": 1, "a": "x"}, "teams": None}, {"account_id": pd.NaT, "calls": 3}]
    table = schema.to_arrow("accounts", rows).to_pylist()
    assert table[0]["tags"] == '{"a": "x", "b": 1}' and table[0]["calls"] is None and table[0]["regions"] == ["a"]
    assert table[1]["account_id"] is None and table[1]["calls"] == 3 and table[1]["seconds"] is None
    with pytest.raises(ValueError, match="undeclared columns \\['bogus'\\]"):
        schema.to_arrow("accounts", [{"account_id": "1", "bogus": 1}])
