"""Ctrl-C during a crawl: exit 130 with a hint naming `--resume`, and the `--resume` run that
follows publishes the snapshot without redoing the saved accounts (a real SIGINT to a child process
crawling the fleet over HTTP; server-side latency keeps it running long enough to be interrupted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from audit.store.snapshots import open_snapshot

DAY = "2026-03-02"


def test_ctrl_c_names_resume_and_the_resumed_crawl_publishes(fleet, tmp_path: Path) -> None:
    crawlable = [a for a in fleet.account_ids if a not in fleet.faults["assume_role_denied"]]
    cmd = [sys.executable, "-m", "audit", "crawl", "--accounts", str(fleet.accounts_file), "--out", str(tmp_path),
           "--date", DAY, "--workers", "1", "--endpoint-url", fleet.endpoint_url, "--regions", "eu-west-1",
           "--services", "ecr,lambda,codebuild", "--accounts-only", ",".join(crawlable)]
    done = tmp_path / "snapshots" / f".staging-{DAY}" / "done"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    fleet.set_latency(150)  # every AWS request of the child waits: it is mid-crawl when interrupted
    try:
        child = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 180  # only a bound: the loop ends as soon as one account is saved
            while time.monotonic() < deadline and not (done.exists() and any(done.iterdir())):
                assert child.poll() is None, "the crawl finished before it could be interrupted"
                time.sleep(0.02)
            assert child.poll() is None, "the crawl finished before it could be interrupted"
            child.send_signal(signal.SIGINT)
            _, stderr = child.communicate(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(5)
    finally:
        fleet.set_latency(0)
    assert child.returncode == 130, stderr
    hint = [line for line in stderr.splitlines() if line.startswith("crawl interrupted:")]
    assert len(hint) == 1 and "--resume" in hint[0] and "accounts are saved" in hint[0], stderr
    saved = {p.name for p in done.iterdir()}
    assert 0 < len(saved) < len(crawlable)
    assert not (tmp_path / "snapshots" / DAY).exists()  # nothing half-published

    resumed = subprocess.run([*cmd, "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    snap = open_snapshot(tmp_path, DAY)
    section = snap.manifest["sections"]["crawl"]
    assert section["resumed"] is True and section["accounts_skipped"] == len(saved)
    assert sorted(snap.table("accounts")["account_id"]) == sorted(crawlable)
