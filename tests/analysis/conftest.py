"""Fixtures: the hand-built inventory of `inventory.py` written as a snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.store.snapshots import Snapshot

from .inventory import inventory_tables, write


@pytest.fixture
def snapshot(tmp_path: Path) -> Snapshot:
    return write(tmp_path / "inv", "2026-02-01", inventory_tables())


@pytest.fixture
def inv(snapshot: Snapshot):
    from audit.analysis.frames import load_inventory

    return load_inventory(snapshot)
