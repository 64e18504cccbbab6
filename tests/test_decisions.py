"""decisions.yaml and `cicd-audit decide`: validated like every config, edited safely, comments kept."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from audit.cli import main
from audit.config import load_config_file, load_decisions
from audit.errors import ConfigError

INVENTORY = Path(__file__).resolve().parents[1] / "inventory"


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    """A config directory with the shipped catalog (item ids) and accounts (teams: web, data, java, ops)."""
    for name in ("catalog.yaml", "accounts.yaml"):
        shutil.copy(INVENTORY / name, tmp_path / name)
    return tmp_path


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture()
def decide(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """`cicd-audit decide ... --decisions PATH` through the real entry point, in this process."""
    def run(path: Path, *args: str) -> Run:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_:
            main(["decide", *args, "--decisions", str(path)])
        out = capsys.readouterr()
        return Run(exit_.value.code, out.out, out.err)
    return run


def test_pick_then_move_along_keeps_comments_and_dates(config: Path, decide: Callable[..., Run]) -> None:
    path = config / "decisions.yaml"
    first = decide(path, "pipeline-notifications", "--owner", "web", "--sprint", "24", "--date", "2026-11-23")
    assert first.returncode == 0, first.stderr
    assert "picked at the meeting of 2026-11-23, owner web, sprint 24" in first.stdout
    path.write_text(path.read_text().replace("  - date: 2026-11-23", "  # the November meeting\n  - date: 2026-11-23"))
    assert decide(path, "ecr-scan-immutable", "--owner", "ops", "--date", "2026-11-23").returncode == 0
    done = decide(path, "pipeline-notifications", "--status", "done", "--date", "2026-11-30")
    assert done.returncode == 0, done.stderr
    text = path.read_text()
    assert "# the November meeting" in text and text.startswith("# What the team-lead meetings picked")
    decisions = load_decisions(path)
    assert [(m.date, [p.item for p in m.picks]) for m in decisions.meetings] == [
        (date(2026, 11, 23), ["pipeline-notifications", "ecr-scan-immutable"])]
    day, pick = decisions.latest("pipeline-notifications")
    assert (day, pick.status, pick.updated, pick.owner, pick.sprint) == (
        date(2026, 11, 23), "done", date(2026, 11, 30), "web", "24")
    again = decide(path, "pipeline-notifications", "--owner", "data", "--date", "2026-12-07")
    assert again.returncode == 0, again.stderr  # done: it may be picked again, at a new meeting
    assert [m.date for m in load_decisions(path).meetings] == [date(2026, 11, 23), date(2026, 12, 7)]
    assert load_config_file(path)[0] == "decisions"


@pytest.mark.parametrize(("args", "says"), [
    (("no-such-item", "--owner", "web"), "decisions.yaml: item: unknown item 'no-such-item'"),
    (("pipeline-notifications", "--owner", "martians"), "decisions.yaml: owner: unknown team 'martians'"),
    (("ecr-scan-immutable",), "already picked (meeting"),
    (("pipeline-notifications",), "--owner TEAM is needed"),
    (("pipeline-notifications", "--owner", "web", "--status", "finished"), "Invalid value for '--status'"),
])
def test_a_refused_edit_writes_nothing(config: Path, args: tuple[str, ...], says: str,
                                       decide: Callable[..., Run]) -> None:
    path = config / "decisions.yaml"
    assert decide(path, "ecr-scan-immutable", "--owner", "ops").returncode == 0
    before = path.read_bytes()
    bad = decide(path, *args)
    assert bad.returncode == 2 and says in bad.stderr, bad.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in config.iterdir()) == ["accounts.yaml", "catalog.yaml", "decisions.yaml"]


@pytest.mark.parametrize(("text", "line", "says"), [
    ("meetings:\n  - date: 2026-11-23\n    picks:\n      - item: pipeline-notifications\n        owner: web\n"
     "        status: finished\n", 6, "meetings[0].picks[0].status"),
    ("meetings:\n  - date: 2026-11-23\n    picks:\n      - item: pipeline-notifications\n        owner: web\n"
     "  - date: 2026-11-30\n    picks:\n      - item: pipeline-notifications\n        owner: ops\n", 8,
     "still open from meetings[0]"),
    ("meetings:\n  - date: 2026-11-23\n    picks:\n      - item: pipeline-notifications\n        owner: web\n"
     "        status: done\n        updated: 2026-11-01\n", 7, "before the meeting"),
    ("meetings:\n  - date: 2026-11-23\n    picks: [\n", 4, "invalid YAML"),
])
def test_a_malformed_file_is_named_by_line_and_decide_leaves_it_alone(config: Path, text: str, line: int,
                                                                       says: str, decide: Callable[..., Run]) -> None:
    path = config / "decisions.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_decisions(path)
    assert f"{path}:{line}:" in str(err.value) and says in str(err.value)
    bad = decide(path, "ecr-scan-immutable", "--owner", "ops")
    assert bad.returncode == 2 and f"{path}:{line}:" in bad.stderr
    assert path.read_text() == text


def test_concurrent_edits_all_land(config: Path) -> None:
    path = config / "decisions.yaml"
    items = ["stacksets-deploy-role", "client-onboarding-as-code", "shared-pipeline-template", "ci-keys-to-oidc",
             "ecs-blue-green-rollback", "hotfix-pipeline-path"]
    runs = [subprocess.Popen([sys.executable, "-m", "audit", "decide", item, "--owner", "web", "--date",
                              "2026-11-23", "--decisions", str(path)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for item in items]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    picked = [p.item for _, p in load_decisions(path).picks()]
    assert sorted(picked) == sorted(items)
