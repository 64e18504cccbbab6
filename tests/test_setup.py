"""The README's two commands on a fresh machine: `make test` sees to chromium first, `make lab` runs as root."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENSURE = ROOT / ".ci" / "ensure-chromium"


def _ensure(env: dict[str, str], as_nobody: bool = False) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CICD_AUDIT_")}
    if not as_nobody:
        return subprocess.run([str(ENSURE)], env={**clean, **env}, capture_output=True, text=True, timeout=30)
    # a user who cannot install packages; the checkout may sit in a directory only root can enter
    # (mktemp -d is 0700), so nobody runs a copy of the script from a directory it can read
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        script = Path(tmp) / ENSURE.name
        shutil.copy2(ENSURE, script)
        os.chmod(script, 0o755)
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(script)]
        return subprocess.run(cmd, env={**clean, **env}, capture_output=True, text=True, timeout=30, cwd=tmp)


def test_make_test_checks_chromium_before_the_suite_and_ci_calls_make_test():
    dry = subprocess.run(["make", "--no-print-directory", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lines = dry.strip().splitlines()
    assert lines[-2:] == [".ci/ensure-chromium", ".venv/bin/python -m pytest -n 2 --dist loadfile -q"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_present_or_skipped_chromium_needs_nothing():
    assert _ensure({"CICD_AUDIT_CHROMIUM": shutil.which("true") or "/bin/true"}).returncode == 0
    assert _ensure({"CICD_AUDIT_CHROMIUM": "/nonexistent/chromium", "CICD_AUDIT_SKIP_BROWSER": "1"}).returncode == 0


def test_missing_chromium_without_root_fails_with_the_exact_command():
    as_nobody = os.getuid() == 0
    if as_nobody and shutil.which("setpriv") is None:
        pytest.fail("running as root without setpriv: cannot check the non-root path without installing chromium")
    done = _ensure({"CICD_AUDIT_CHROMIUM": "/nonexistent/chromium"}, as_nobody=as_nobody)
    assert done.returncode == 1
    assert "sudo sh -c 'apt-get update && apt-get install -y chromium'" in done.stderr
    assert "/nonexistent/chromium" in done.stderr and "CICD_AUDIT_SKIP_BROWSER=1" in done.stderr


def test_make_lab_binds_loopback_and_allows_root_only_as_root():
    dry = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lab = next(line for line in dry.splitlines() if "jupyter lab" in line)
    assert "--ip=127.0.0.1" in lab and "--notebook-dir=notebooks" in lab
    assert ("--allow-root" in lab) == (os.getuid() == 0)
