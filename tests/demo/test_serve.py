"""`cicd-audit fleet serve`: starts, prints how to crawl it, serves, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import boto3

from audit.config import load_accounts


def test_fleet_serve_prints_endpoint_and_crawl_command_then_stops_on_ctrl_c(tmp_path):
    out = tmp_path / "fleet"
    proc = subprocess.Popen(
        [sys.executable, "-m", "audit", "fleet", "serve", "--clients", "2", "--port", "0", "--out", str(out),
         "--no-repos", "--seed", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("serving"):
                break
        text = "".join(lines)
        endpoint = re.search(r"^endpoint: (http://127\.0\.0\.1:\d+)$", text, re.M)
        assert endpoint, text + proc.stderr.read() if proc.poll() is not None else text
        url = endpoint.group(1)
        assert "export AWS_ACCESS_KEY_ID=" in text and "export AWS_SECRET_ACCESS_KEY=" in text
        assert f"cicd-audit crawl --accounts {out / 'accounts.yaml'} --endpoint-url {url}" in text
        accounts = load_accounts(out / "accounts.yaml")
        assert accounts.endpoint_url == url and len(accounts.clients) == 2
        sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1")
        assert sts.get_caller_identity()["Account"]
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "fleet stopped" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
