"""placeholder"""
from __future__ import annotations

from pathlib import Path

from audit.repos.detectors import detect
from audit.repos.sources import LocalTree


def detect_path(path: str | Path) -> dict:
    tree = LocalTree(Path(path))
    return detect(tree.entries(), tree.read).as_dict()
