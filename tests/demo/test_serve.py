"""`cicd-audit fleet serve` in another process: prints how to crawl it, serves the same fleet as the
session fixture for the same seed (account ids and resources, read through boto3), and stops
cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from audit.config import load_accounts


def _inventory(fleet_url: str, account_ids: list[str], assume, fleet_like) -> dict[str, dict[str, list[str]]]:
    """Names of some resources per account, through AssumeRole like the crawler."""
    out = {}
    for acct in account_ids:
        session = assume(fleet_like(fleet_url), acct)
        iam = session.client("iam", endpoint_url=fleet_url)
        names = {"roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"]),
                 "buckets": sorted(b["Name"] for b in session.client("s3", endpoint_url=fleet_url)
                                   .list_buckets()["Buckets"])}
        for region in ("eu-west-1", "us-east-1"):
            cp = session.client("codepipeline", endpoint_url=fleet_url, region_name=region)
            names[f"pipelines:{region}"] = sorted(p["name"] for p in cp.list_pipelines()["pipelines"])
            cfn = session.client("cloudformation", endpoint_url=fleet_url, region_name=region)
            names[f"stacks:{region}"] = sorted(s["StackName"] for s in cfn.describe_stacks()["Stacks"])
        out[acct] = names
    return out


class _Url:
    def __init__(self, url: str) -> None:
        self.endpoint_url = url


def test_fleet_serve_same_seed_same_fleet_then_stops_on_ctrl_c(fleet, tmp_path, assume_in):
    out = tmp_path / "fleet"
    n, seed = len(fleet.model.clients), fleet.model.seed
    proc = subprocess.Popen(
        [sys.executable, "-m", "audit", "fleet", "serve", "--clients", str(n), "--port", "0", "--out", str(out),
         "--no-repos", "--seed", str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("serving"):
                break
        text = "".join(lines)
        endpoint = re.search(r"^endpoint: (http://127\.0\.0\.1:\d+)$", text, re.M)
        assert endpoint, text + (proc.stderr.read() if proc.poll() is not None else "")
        url = endpoint.group(1)
        assert "export AWS_ACCESS_KEY_ID=" in text and "export AWS_SECRET_ACCESS_KEY=" in text
        assert f"cicd-audit crawl --accounts {out / 'accounts.yaml'} --endpoint-url {url}" in text

        accounts = load_accounts(out / "accounts.yaml")
        assert accounts.endpoint_url == url
        assert [c.account_id for c in accounts.clients] == fleet.account_ids
        # the accounts file is the same apart from the endpoint lines
        strip = lambda t: "\n".join(x for x in t.splitlines() if "127.0.0.1" not in x)  # noqa: E731
        assert strip((out / "accounts.yaml").read_text()) == strip(fleet.accounts_file.read_text())
        crawlable = [a for a in fleet.account_ids if a not in fleet.faults["assume_role_denied"]]
        theirs = _inventory(url, crawlable, assume_in, _Url)
        ours = _inventory(fleet.endpoint_url, crawlable, assume_in, _Url)
        assert theirs == ours
        assert any(names["pipelines:eu-west-1"] or names["pipelines:us-east-1"] for names in ours.values())

        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "fleet stopped" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_fleet_serve_rejects_a_bad_region_with_exit_2_and_writes_nothing(tmp_path, capsys):
    from audit.cli import main

    out = tmp_path / "fleet"
    try:
        main(["fleet", "serve", "--regions", "eu-west-1,mars", "--out", str(out), "--no-repos", "--port", "0"])
    except SystemExit as done:
        assert done.code == 2
    else:
        raise AssertionError("expected exit code 2")
    assert "--regions: not an AWS region name: mars" in capsys.readouterr().err
    assert not out.exists()
