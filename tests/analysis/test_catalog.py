"""catalog.yaml validation: every bad input is exit code 2 naming file, line and item id."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.analysis.catalog import load_catalog
from audit.cli import main

GOOD_ITEM = """\
  - id: {id}
    title: Item {id}
    applies_to: SELECT account_id, unit_id FROM units
    effort: {{fixed_days: 1}}
"""


def _catalog(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text("items:\n" + GOOD_ITEM.format(id="first") + body)
    return path


def _validate(path: Path, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(path)])
    return exc.value.code, capsys.readouterr().err


BAD = {
    "sql-syntax": ("""\
  - id: broken
    title: Broken rule
    applies_to: SELEC account_id unit_id FROM units
    effort: {fixed_days: 1}
""", 8, ["item 'broken'", "applies_to", "does not parse"]),
    "sql-unknown-table": ("""\
  - id: nowhere
    title: No such table
    applies_to: SELECT account_id, unit_id FROM no_such_table
    effort: {fixed_days: 1}
""", 8, ["item 'nowhere'", "applies_to SQL failed", "no_such_table"]),
    "no-unit-key": ("""\
  - id: keyless
    title: Returns no unit key
    applies_to: SELECT account_id, client FROM accounts
    effort: {fixed_days: 1}
""", 8, ["item 'keyless'", "no unit key", "unit_id"]),
    "not-a-select": ("""\
  - id: writer
    title: Writes a file
    applies_to: COPY (SELECT 1) TO '/tmp/x.csv'
    effort: {fixed_days: 1}
""", 8, ["item 'writer'", "exactly one SELECT"]),
    "unknown-dependency": ("""\
  - id: needy
    title: Needs a ghost
    applies_to: SELECT account_id, unit_id FROM units
    effort: {fixed_days: 1}
    depends_on: [ghost]
""", 10, ["item 'needy'", "unknown item 'ghost'"]),
    "cycle": ("""\
  - id: chicken
    title: Chicken
    applies_to: SELECT account_id, unit_id FROM units
    effort: {fixed_days: 1}
    depends_on: [egg]
  - id: egg
    title: Egg
    applies_to: SELECT account_id, unit_id FROM units
    effort: {fixed_days: 1}
    depends_on: [chicken]
""", 10, ["item 'chicken'", "cyclic", "chicken -> egg -> chicken"]),
    "negative-effort": ("""\
  - id: cheap
    title: Negative effort
    applies_to: SELECT account_id, unit_id FROM units
    effort: {fixed_days: -2}
""", 9, ["item 'cheap'", "items[1].effort.fixed_days", "greater than or equal to 0"]),
    "unknown-payoff-field": ("""\
  - id: typo
    title: Typo in payoff
    applies_to: SELECT account_id, unit_id FROM units
    effort: {fixed_days: 1}
    payoff:
      minutes_saved_per_deplyo: 10
""", 11, ["item 'typo'", "payoff.minutes_saved_per_deplyo", "unknown key"]),
    "duplicate-id": (GOOD_ITEM.format(id="first"), 6, ["item 'first'", "duplicate id"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_catalog_exit_2_with_file_line_and_item(tmp_path, capsys, case):
    body, line, needles = BAD[case]
    path = _catalog(tmp_path, body)
    code, err = _validate(path, capsys)
    assert code == 2, err
    assert f"{path}:{line}:" in err, err
    for needle in needles:
        assert needle in err, err
    assert "Traceback" not in err


def test_project_catalog_is_valid_and_realistic(capsys):
    path = Path(__file__).resolve().parents[2] / "inventory" / "catalog.yaml"
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(path)])
    assert exc.value.code == 0
    catalog = load_catalog(path)
    assert len(catalog.items) >= 12
    assert any(item.depends_on for item in catalog.items)
    assert catalog.line_of("stacksets-deploy-role") is not None


def test_analyze_with_bad_catalog_writes_nothing(tmp_path, capsys, snapshot):
    path = _catalog(tmp_path, BAD["sql-unknown-table"][0])
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "--snapshot", str(snapshot.path), "--catalog", str(path)])
    assert exc.value.code == 2
    assert "item 'nowhere'" in capsys.readouterr().err
    assert not (snapshot.path / "analysis").exists()


def test_rule_may_end_with_a_line_comment(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("items:\n  - id: commented\n    title: Commented rule\n    applies_to: |\n"
                    "      SELECT account_id, unit_id FROM units  -- every unit\n    effort: {fixed_days: 1}\n")
    assert load_catalog(path).items[0].id == "commented"
