"""The config package: `validate` dispatches through one table of kinds, and config imports no analysis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import audit.config
from audit.config import KINDS, load_config_file
from audit.errors import ConfigError

SAMPLES = {
    "accounts": "clients:\n  - name: acme\n    account_id: '123456789012'\n",
    "repos": "repositories:\n  - name: web\n    team: web\n    url: https://example.com/web.git\n",
    "survey": "team: web\nsprint:\n  anchor: 2026-01-05\n",
    "catalog": ("items:\n  - id: one-item\n    title: One item\n    effort: {fixed_days: 1}\n"
                "    applies_to: SELECT account_id, unit_id FROM units\n"),
    "decisions": "meetings:\n  - date: 2026-11-23\n    picks: []\n",
}


def test_every_kind_has_a_sample_and_loads(tmp_path: Path) -> None:
    assert {k.name for k in KINDS} == set(SAMPLES)
    for name, text in SAMPLES.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        kind, model = load_config_file(path)
        assert kind == name
        assert type(model).__module__ == f"audit.config.{name}"


def test_unknown_kind_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "what.yaml"
    path.write_text("colour: red\n")
    with pytest.raises(ConfigError, match=rf"^{path}:1: cannot tell which config"):
        load_config_file(path)


def test_config_imports_no_analysis() -> None:
    """The old circle: validate -> analysis.catalog -> config's private base classes."""
    code = "import json, sys, audit.config; print(json.dumps(sorted(m for m in sys.modules if m[:6] == 'audit.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    assert not [m for m in loaded if m.split(".")[1] in {"analysis", "aws", "repos", "report", "demo"}], loaded


def test_config_exports() -> None:
    assert audit.config.__all__ == sorted(audit.config.__all__, key=lambda n: (not n.isupper(), n))
    for name in audit.config.__all__:
        assert hasattr(audit.config, name), name
