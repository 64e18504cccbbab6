"""Before the first account: credentials and endpoint work, or exit 2 with one line and nothing written.
After the last: exit 0 / 3 / 4 by how many accounts failed, each failed account named with its reason."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from audit.cli import main
from audit.errors import EXIT_ALL_ACCOUNTS_FAILED, EXIT_SOME_ACCOUNTS_FAILED


def _accounts_yaml(tmp_path: Path, endpoint: str) -> Path:
    path = tmp_path / "accounts.yaml"
    path.write_text(f"endpoint_url: {endpoint}\ndefaults:\n  regions: [eu-west-1]\n"
                    "clients:\n  - name: acme\n    account_id: '000000000901'\n")
    return path


def _run(argv: list[str], capsys) -> tuple[int, list[str]]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    return info.value.code, [line for line in err.splitlines() if line.strip()]


def test_no_credentials_exit_2_one_line_nothing_written(tmp_path: Path, moto_url, monkeypatch, capsys) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    out = tmp_path / "inventory"
    code, lines = _run(["crawl", "--accounts", str(_accounts_yaml(tmp_path, moto_url)), "--out", str(out)], capsys)
    assert code == 2 and len(lines) == 1, lines
    assert "no AWS credentials found" in lines[0] and "AWS_PROFILE" in lines[0] and "aws sso login" in lines[0]
    assert not out.exists()  # no staging directory either


def test_dead_endpoint_exit_2_one_line_nothing_written(tmp_path: Path, capsys) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    out = tmp_path / "inventory"
    accounts = _accounts_yaml(tmp_path, f"http://127.0.0.1:{port}")
    code, lines = _run(["crawl", "--accounts", str(accounts), "--out", str(out)], capsys)
    assert code == 2 and len(lines) == 1, lines
    assert f"cannot reach http://127.0.0.1:{port}" in lines[0] and "--endpoint-url" in lines[0]
    assert not out.exists()


def test_aws_profile_is_honoured_and_named(tmp_path: Path, moto_url, monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWS_PROFILE", "consultancy-audit")
    out = tmp_path / "inventory"
    code, lines = _run(["crawl", "--accounts", str(_accounts_yaml(tmp_path, moto_url)), "--out", str(out)], capsys)
    assert code == 2 and len(lines) == 1, lines
    assert "AWS_PROFILE: AWS profile not found: consultancy-audit" in lines[0] and "None" not in lines[0]
    assert not out.exists()


def test_a_missing_aws_profile_is_named_by_a_fresh_process(tmp_path: Path) -> None:
    """The README's `AWS_PROFILE=consultancy-audit make weekly` on a machine without that profile: the
    collectors name their operations from botocore's models at import, and a botocore session that
    reads AWS_PROFILE raised ProfileNotFound there, a traceback before the CLI ran (the in-process
    test above imports audit first, so it cannot see that)."""
    env = {**os.environ, "AWS_PROFILE": "consultancy-audit", "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials")}
    out = tmp_path / "inventory"
    done = subprocess.run([sys.executable, "-m", "audit", "crawl", "--accounts",
                           str(_accounts_yaml(tmp_path, "http://127.0.0.1:9")), "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "AWS_PROFILE: AWS profile not found: consultancy-audit" in lines[0]
    assert not out.exists()


def test_list_services_needs_no_accounts_file(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["crawl", "--list-services"])
    assert info.value.code == 0
    assert {line.split()[0] for line in capsys.readouterr().out.splitlines()} >= {"codepipeline", "s3", "iam"}
    code, lines = _run(["crawl"], capsys)
    assert code == 2 and any("--accounts" in line for line in lines)


def test_some_failed_exit_3_all_failed_exit_4_each_named_with_reason(fleet, tmp_path: Path, capsys) -> None:
    """The fleet has one account whose role refuses AssumeRole: exit 3 naming it; crawl only it: 4."""
    (denied,) = fleet.faults["assume_role_denied"]
    base = ["crawl", "--accounts", str(fleet.accounts_file), "--endpoint-url", fleet.endpoint_url,
            "--services", "ecr", "--regions", "eu-west-1"]
    code, lines = _run([*base, "--out", str(tmp_path / "some")], capsys)
    assert code == EXIT_SOME_ACCOUNTS_FAILED == 3
    (head,) = [i for i, line in enumerate(lines) if line.startswith("failed accounts, access-denied (1):")]
    named = lines[head + 1]
    # one whole line however long (no wrapping at 80 columns outside a terminal), with the reason
    assert f"({denied}): AccessDenied: " in named and "sts:AssumeRole" in named and len(named) > 80
    assert lines[-1].startswith("cicd-audit: error: 1 of 4 accounts failed")
    assert (tmp_path / "some" / "snapshots").is_dir()  # the others' snapshot is written
    code, lines = _run([*base, "--out", str(tmp_path / "all"), "--accounts-only", denied], capsys)
    assert code == EXIT_ALL_ACCOUNTS_FAILED == 4
    assert lines[-1].startswith("cicd-audit: error: 1 of 1 accounts failed")


def test_an_endpoint_dying_mid_crawl_gives_rows_that_name_their_operation(fleet, tmp_path: Path) -> None:
    """Issue 11: unreachable and timeout rows had an empty operation. The endpoint dies after 8
    requests: every row (AssumeRole of the accounts not yet in, the calls of those that were) names
    the operation, and the outcome says which accounts failed."""
    from audit.aws.crawler import crawl
    from audit.config import load_accounts
    from audit.options import CrawlOptions

    config = load_accounts(fleet.accounts_file)
    # dropped connections fail at once; the timeouts only bound a slow answer (a loaded machine can
    # take seconds for one, the preflight's included), so they are not what makes accounts fail here
    retry = config.defaults.retry.model_copy(update={"max_attempts": 1, "connect_timeout": 10, "read_timeout": 30})
    config = config.model_copy(update={"defaults": config.defaults.model_copy(update={"retry": retry,
                                                                                       "max_workers": 2})})
    with fleet.inject("die-after=8"):
        result = crawl(config, tmp_path, CrawlOptions(endpoint_url=fleet.endpoint_url, regions=("eu-west-1",),
                                                      services=("ecr", "lambda", "codebuild"), progress=False))
    errors = open_snapshot_errors(result.snapshot_dir)
    assert "unreachable" in {e["error_class"] for e in errors}
    assert all(e["operation"] for e in errors), [e for e in errors if not e["operation"]]
    assert result.accounts_failed >= 1 and result.exit_code in (3, 4)
    assert {f.account_id for f in result.failed} and all(f.reason for f in result.failed)


def open_snapshot_errors(snapshot_dir: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(snapshot_dir / "errors.parquet").to_pylist()
