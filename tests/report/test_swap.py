"""The report swap: a writer killed at any step leaves the old or the new report, never none.

A forked child publishes a new report over an old one and SIGKILLs itself just before its n-th
filesystem primitive call (fsync, exchange, rename, rmtree), for every n until it survives.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.report import runner
from audit.store import atomic

PRIMITIVES = ("fsync_dir", "exchange")  # looked up in audit.store.atomic at call time


def _report(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True)
    (directory / "report.html").write_text(text)
    (directory / "backlog.csv").write_text(text)
    return directory


def _publish_and_die_at(staging: Path, final: Path, kill_at: int, with_exchange: bool) -> None:
    """Child process: count primitive calls and SIGKILL before call number `kill_at`."""
    calls = [0]

    def counted(fn):
        def wrapped(*args, **kwargs):
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            calls[0] += 1
            return fn(*args, **kwargs)
        return wrapped

    for name in PRIMITIVES:
        setattr(atomic, name, counted(getattr(atomic, name)))
    if not with_exchange:
        atomic.exchange = counted(lambda a, b: False)
    os.rename = counted(os.rename)
    shutil.rmtree = counted(shutil.rmtree)
    runner._publish(staging, final)
    os._exit(0)


def _readable(final: Path) -> str | None:
    try:
        return (final / "report.html").read_text()
    except FileNotFoundError:
        return None


@pytest.fixture()
def exchange_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory whose filesystem has RENAME_EXCHANGE: pytest's tmp dir, else one in /dev/shm (tmpfs
    has it on every Linux since 3.15). The exchange case is run, never skipped."""
    if atomic.exchange(tmp_path, tmp_path):
        yield tmp_path
        return
    shm = Path(tempfile.mkdtemp(dir="/dev/shm")) if Path("/dev/shm").is_dir() else None
    try:
        if shm is None or not atomic.exchange(shm, shm):
            pytest.fail("no filesystem here has RENAME_EXCHANGE (renameat2): the exchange swap cannot be shown")
        yield shm
    finally:
        if shm is not None:
            shutil.rmtree(shm, ignore_errors=True)


@pytest.mark.parametrize("with_exchange", [True, False], ids=["exchange", "rename-aside"])
def test_report_swap_killed_at_each_step_leaves_old_or_new(tmp_path: Path, with_exchange: bool,
                                                           request: pytest.FixtureRequest) -> None:
    if with_exchange:
        tmp_path = request.getfixturevalue("exchange_dir")
    fork = multiprocessing.get_context("fork")
    outcomes = []
    for kill_at in range(20):
        out = tmp_path / str(kill_at)
        final = _report(out / "2026-11-23", "old")
        staging = _report(out / ".tmp-2026-11-23-x", "new")
        child = fork.Process(target=_publish_and_die_at, args=(staging, final, kill_at, with_exchange))
        child.start()
        child.join(30)
        seen = _readable(final)
        if with_exchange:  # one exchange: a reader never finds no report, not even before recovery
            assert seen in ("old", "new"), (kill_at, sorted(p.name for p in out.iterdir()))
        runner._tidy(final)  # what the next run does first
        after = _readable(final)
        assert after in ("old", "new"), (kill_at, sorted(p.name for p in out.iterdir()))
        assert after == seen or seen is None
        outcomes.append(after)
        if child.exitcode == 0:
            assert after == "new"
            assert sorted(p.name for p in out.iterdir()) == ["2026-11-23"]
            break
        assert child.exitcode == -signal.SIGKILL
    else:
        pytest.fail("the publish never finished within 20 primitive calls")
    assert outcomes[0] == "old" and outcomes[-1] == "new"
    assert len(outcomes) >= 4  # fsync, swap, fsync, remove the old one: every step was killed once


def test_next_run_removes_day_old_leftovers_but_keeps_the_only_copy(tmp_path: Path) -> None:
    final = _report(tmp_path / "2026-11-23", "current")
    day_old = time.time() - 2 * 86400
    stale = [_report(tmp_path / ".tmp-2026-11-16-abc", "x"), _report(tmp_path / ".old-2026-11-23-1234", "x")]
    fresh = _report(tmp_path / ".tmp-2026-11-30-def", "a writer still running")
    only_copy = _report(tmp_path / ".old-2026-11-09-99", "the 9th, moved aside by a killed writer")
    failed = _report(tmp_path / ".failed-2026-11-16", "kept for inspection")
    for path in [*stale, only_copy, failed]:
        os.utime(path, (day_old, day_old))
    runner._tidy(final)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["2026-11-23", fresh.name, only_copy.name, failed.name])
    runner._tidy(tmp_path / "2026-11-09")  # a run for the 9th restores it
    assert _readable(tmp_path / "2026-11-09") == "the 9th, moved aside by a killed writer"
