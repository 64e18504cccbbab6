"""A failed re-run never erases the day's good snapshot (CLI level, on the session fleet).

Every account failing against a dead endpoint leaves the earlier good snapshot of the same day
byte-identical; `--replace` is how a partial crawl replaces a complete one.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from audit.cli import main
from audit.store import read_manifest

DAY = "2026-02-02"


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return int(info.value.code or 0), out.out + out.err


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _dead_endpoint() -> str:
    with socket.socket() as sock:  # a port nobody listens on once closed: connections are refused
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_all_failed_rerun_keeps_the_days_good_snapshot_byte_identical(
        fleet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = yaml.safe_load(Path(fleet.accounts_file).read_text())
    config["clients"] = config["clients"][:2]
    config["defaults"].update(regions=config["defaults"]["regions"][:1],
                              retry={"max_attempts": 1, "connect_timeout": 1, "read_timeout": 5})
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(yaml.safe_dump(config))
    out = tmp_path / "inventory"
    base = ["crawl", "--accounts", str(accounts), "--out", str(out), "--date", DAY, "--services", "lambda,ecr"]

    code, text = _cli(capsys, *base)
    assert code == 0, text
    day = out / "snapshots" / DAY
    assert read_manifest(day)["outcome"] == "ok" and read_manifest(day)["complete"] is True
    before = _files(day)

    dead = _dead_endpoint()
    for extra in ([], ["--replace"]):  # an all-failed crawl replaces nothing, not even with --replace
        code, text = _cli(capsys, *base, "--endpoint-url", dead, *extra)
        assert _files(day) == before, text  # byte-identical
        assert sorted(p.name for p in (out / "snapshots").iterdir() if not p.name.startswith(".staging")) == [DAY]
        if code == 0:  # the crawl itself ran (no preflight refused the endpoint): it says why nothing changed
            assert "not published: every account failed" in text, text
