"""Config errors: every malformed input exits 2 with one line naming file:line and the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from audit.config import load_accounts, load_repos, load_survey, load_surveys
from audit.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
GOOD = "clients:\n  - name: acme\n    account_id: '123456789012'\n    teams: [web]\n"

# (file name, content, expected line, substring of the message)
BAD = [
    ("yaml_syntax.yaml", "clients:\n  - name: a\n   account_id: x\n", 3, "invalid YAML"),
    ("short_id.yaml", "clients:\n  - name: a\n    account_id: '1234'\n", 3, "clients[0].account_id: expected a 12-digit"),
    ("int_id.yaml", "clients:\n  - name: a\n    account_id: 12345678901\n", 3, "12-digit account id in quotes"),
    ("unknown_key.yaml", GOOD + "    colour: red\n", 5, "clients[0].colour: unknown key"),
    ("unknown_top.yaml", GOOD + "extra: 1\n", 5, "extra: unknown key"),
    ("dup_name.yaml", GOOD + "  - name: acme\n    account_id: '123456789013'\n", 5, "duplicate name 'acme'"),
    ("dup_account.yaml", GOOD + "  - name: other\n    account_id: '123456789012'\n", 6, "duplicate account_id"),
    ("empty_clients.yaml", "defaults: {}\nclients: []\n", 2, "expected at least one client"),
    ("wrong_type.yaml", "defaults:\n  max_workers: lots\n" + GOOD, 2, "defaults.max_workers"),
    ("empty_regions.yaml", "defaults:\n  regions: []\n" + GOOD, 2, "defaults.regions: expected at least one region"),
    ("bad_region.yaml", "defaults:\n  regions: [europe]\n" + GOOD, 2, "defaults.regions"),
    ("dup_key.yaml", "clients:\n  - name: a\n    name: b\n", 3, "duplicate key 'name'"),
    ("bad_arn.yaml", GOOD + "    role: arn:aws:iam::12:role/x\n", 5, "clients[0].role"),
    ("not_mapping.yaml", "- a\n- b\n", 1, "expected a mapping"),
    ("empty.yaml", "", 1, "file is empty"),
    ("retry_mode.yaml", "defaults:\n  retry: {mode: turbo}\n" + GOOD, 2, "defaults.retry.mode"),
]


@pytest.mark.parametrize(("name", "text", "line", "needle"), BAD, ids=[b[0] for b in BAD])
def test_bad_accounts_file_names_file_line_field(tmp_path: Path, name: str, text: str, line: int,
                                                 needle: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_accounts(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert needle in message
    assert info.value.exit_code == 2


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="alias bomb"):
        load_accounts(path)


def test_invalid_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"clients:\n  - name: caf\xe9\n")
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        load_accounts(path)


def test_good_accounts_resolve_role_arn_and_regions(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("defaults:\n  role_name: Audit\n  regions: [eu-west-1]\n" + GOOD
                    + "  - name: b\n    account_id: '210987654321'\n    role: arn:aws:iam::210987654321:role/x\n"
                    "    regions: all\n")
    config = load_accounts(path)
    acme, b = config.clients
    assert acme.role_arn(config.defaults) == "arn:aws:iam::123456789012:role/Audit"
    assert b.role_arn(config.defaults) == "arn:aws:iam::210987654321:role/x"
    assert config.regions_for(acme) == ["eu-west-1"] and config.regions_for(b) == "all"


def test_repos_need_exactly_one_source(tmp_path: Path) -> None:
    path = tmp_path / "repos.yaml"
    path.write_text("repositories:\n  - name: a\n    team: web\n    url: x\n    path: y\n")
    with pytest.raises(ConfigError, match=r"repos.yaml:2: repositories\[0\]: expected exactly one of url or path"):
        load_repos(path)


def test_survey_negative_minutes_and_duplicate_team(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("team: web\nsprint: {anchor: 2026-01-05}\nmanual_steps:\n  - {name: x, minutes: -3}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:4: manual_steps\[0\].minutes"):
        load_survey(bad)
    (tmp_path / "s").mkdir()
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / "s" / name).write_text("team: web\nsprint: {anchor: 2026-01-05}\n")
    with pytest.raises(ConfigError, match=r"b.yaml:1: team: team 'web' already answered"):
        load_surveys(tmp_path / "s")


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audit", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_validate_cli_passes_examples_and_fails_clearly_on_a_broken_copy(tmp_path: Path) -> None:
    examples = [ROOT / "inventory/accounts.yaml", ROOT / "inventory/repos.yaml",
                *sorted((ROOT / "inventory/survey").glob("*.yaml"))]
    ok = _cli("validate", *map(str, examples))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count(": ok (") == len(examples)

    broken = tmp_path / "accounts.yaml"
    broken.write_text((ROOT / "inventory/accounts.yaml").read_text().replace('"222222222222"', '"2222"'))
    bad = _cli("validate", str(broken))
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    line = next(i for i, text in enumerate(broken.read_text().splitlines(), 1) if '"2222"' in text)
    assert f"{broken}:{line}: clients[1].account_id: expected a 12-digit account id" in bad.stderr


def test_loaded_yaml_keeps_no_parse_nodes_alive(tmp_path: Path) -> None:
    """Loading is not a leak: the parse tree of a loaded file is garbage once its values are built."""
    import gc

    import yaml

    from audit.yamlfile import load_yaml

    probe = "leak-probe-7f3a"
    path = tmp_path / "a.yaml"
    path.write_text(f"key: {probe}\nitems: [{probe}-1, {probe}-2]\n")
    assert load_yaml(path).data["key"] == probe
    gc.collect()
    alive = [o for o in gc.get_objects() if isinstance(o, yaml.ScalarNode) and str(o.value).startswith(probe)]
    assert alive == []


def test_validate_reports_teams_and_clients_accounts_yaml_does_not_know(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(GOOD)
    repos = tmp_path / "repos.yaml"
    repos.write_text("repositories:\n  - name: web-app\n    team: web\n    url: https://example.com/web.git\n"
                     "    clients: [acme]\n  - name: etl\n    team: data\n    url: https://example.com/etl.git\n"
                     "    clients: [acme, globex]\n")
    survey = tmp_path / "ops.yaml"
    survey.write_text("team: ops\nsprint: {length_days: 14, anchor: 2026-01-05}\n")
    bad = _cli("validate", str(accounts), str(repos), str(survey))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert f"{repos}:7: repositories[1].team: team 'data' is not in accounts.yaml (known: web)" in bad.stderr
    assert f"{repos}:9: repositories[1].clients[1]: client 'globex' is not in accounts.yaml" in bad.stderr
    assert f"{survey}:1: team: team 'ops' is not in accounts.yaml" in bad.stderr
    assert "web-app" not in bad.stderr and ": ok (" not in bad.stdout  # nothing half-reported as fine
    alone = _cli("validate", str(repos))  # no accounts file given: nothing to check the names against
    assert alone.returncode == 0, alone.stderr
