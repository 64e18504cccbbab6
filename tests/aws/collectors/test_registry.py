"""Every registered collector has its own test module, and `--services` is validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.aws.collectors import REGISTRY, select
from audit.errors import ConfigError
from audit.store.schema import TABLES

HERE = Path(__file__).parent


def test_every_collector_module_has_a_test() -> None:
    import audit.aws.collectors as pkg

    modules = [p.stem for p in Path(pkg.__file__).parent.glob("*.py") if p.stem not in ("__init__", "base")]
    assert len(modules) >= 12
    for module in modules:
        assert (HERE / f"test_{module}.py").exists(), module


def test_collectors_fill_declared_tables_only() -> None:
    for c in REGISTRY.values():
        assert set(c.tables) <= set(TABLES), c.name
        assert c.operations, c.name


def test_select_validates_names() -> None:
    assert [c.name for c in select(["s3", "codebuild"])] == ["codebuild", "s3"]  # registry order
    with pytest.raises(ConfigError) as info:
        select(["codebuild", "bogus"])
    assert info.value.exit_code == 2 and "bogus" in str(info.value)


def test_history_window_is_half_open_and_unbounded_without_until() -> None:
    from datetime import UTC, datetime, timedelta

    from audit.aws.collectors.base import Ctx

    since = datetime(2026, 11, 1, tzinfo=UTC)
    until = since + timedelta(days=7)
    bounded = Ctx("1" * 12, "c", "eu-west-1", "codebuild", lambda s: None, since, until)
    assert bounded.in_window(since) and bounded.in_window(until - timedelta(seconds=1))
    assert not bounded.in_window(until) and not bounded.in_window(since - timedelta(seconds=1))
    assert not bounded.in_window(None)
    open_ended = Ctx("1" * 12, "c", "eu-west-1", "codebuild", lambda s: None, since)
    assert open_ended.in_window(until + timedelta(days=365))
