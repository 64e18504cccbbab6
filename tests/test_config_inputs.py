"""Config input that used to crash: deep nesting, a management role that is no ARN, a file:// endpoint.

Each is exit 2 with one line naming file:line: field, at `validate` and at `crawl`, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.cli import main

CLIENT = "clients:\n  - name: acme\n    account_id: '123456789012'\n"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return int(info.value.code or 0), err


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


DEEP = {  # kind -> (text, line of the deep value, top-level key it is under)
    "accounts": (CLIENT + "    tags: " + _nested(1000) + "\n", 4, "clients"),
    "survey": ("team: web\nsprint: {anchor: 2026-01-05}\npain_points: " + _nested(1000) + "\n", 3, "pain_points"),
    "catalog": ("items:\n  - id: a-b\n    title: abc\n    labels: " + _nested(1000) + "\n", 4, "items"),
    "repos": ("repositories:\n" + "".join("  " * i + "-\n" for i in range(1, 1001)), 65, "repositories"),
}


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_yaml_nested_1000_levels_is_exit_2_with_file_line_field(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                kind: str) -> None:
    text, line, field = DEEP[kind]
    path = tmp_path / f"{kind}.yaml"
    path.write_text(text)
    code, err = run_cli(capsys, "validate", str(path))
    assert code == 2
    assert f"{path}:{line}: {field}: nested more than 64 levels deep" in err


# (accounts.yaml text, line, field, substring of the message)
BAD_FIELDS = [
    ("discover:\n  organizations:\n    management_role_arn: not-an-arn\n", 3,
     "discover.organizations.management_role_arn", "expected arn:<aws|aws-us-gov|aws-cn>:iam::"),
    ("discover:\n  organizations:\n    management_role_arn: arn:aws-xx:iam::123456789012:role/Org\n", 3,
     "discover.organizations.management_role_arn", "got 'arn:aws-xx:"),
    ("discover:\n  organizations:\n    ou_ids: [engineering]\n", 3,
     "discover.organizations.ou_ids[0]", "organizational unit id"),
    ("endpoint_url: file:///etc/passwd\n" + CLIENT, 1, "endpoint_url", "expected http://host"),
    ("endpoint_url: http://\n" + CLIENT, 1, "endpoint_url", "expected http://host"),
    ("endpoint_url: http://user:pw@127.0.0.1:5000\n" + CLIENT, 1, "endpoint_url", "without user or password"),
    ("endpoint_url: http://127.0.0.1:99999\n" + CLIENT, 1, "endpoint_url", "expected an http(s) URL"),
    ("defaults:\n  role_name: 'Audit Role'\n" + CLIENT, 2, "defaults.role_name", "expected a role name"),
    ("defaults:\n  external_id: 'x'\n" + CLIENT, 2, "defaults.external_id", "expected an external id"),
    (CLIENT + "    external_id: 'has space'\n", 4, "clients[0].external_id", "expected an external id"),
    (CLIENT + "    role: 'a/b'\n", 4, "clients[0].role", "expected a role name"),
    (CLIENT + "    role: arn:aws:iam::123456789012:user/x\n", 4, "clients[0].role", "expected arn:"),
]


@pytest.mark.parametrize(("text", "line", "field", "needle"), BAD_FIELDS, ids=[b[2] + str(i) for i, b in
                                                                               enumerate(BAD_FIELDS)])
def test_bad_arn_or_url_is_exit_2_at_validate_and_crawl_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, field: str, needle: str) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(text)
    code, err = run_cli(capsys, "validate", str(path))
    assert code == 2
    assert f"{path}:{line}: {field}: " in err and needle in err, err
    out = tmp_path / "inventory"
    code, err = run_cli(capsys, "crawl", "--accounts", str(path), "--out", str(out))
    assert code == 2
    assert f"{path}:{line}: {field}: " in err, err
    assert not out.exists()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/", "http:///x"])
def test_endpoint_url_option_is_checked_before_anything_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(CLIENT)
    out = tmp_path / "inventory"
    code, err = run_cli(capsys, "crawl", "--accounts", str(path), "--out", str(out), "--endpoint-url", url)
    assert code == 2
    assert "--endpoint-url" in err and "expected http://host" in err, err
    assert not out.exists()


def test_partition_aware_role_arns_and_real_endpoints_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(
        "endpoint_url: https://localstack.internal:4566\n"
        "defaults: {external_id: 'consultancy:audit/2026', role_name: Audit.Role+1}\n"
        "discover:\n  organizations:\n    management_role_arn: arn:aws-us-gov:iam::123456789012:role/ops/OrgRead\n"
        "    ou_ids: [ou-ab12-cdefgh34, r-ab12]\n" + CLIENT +
        "  - name: china\n    account_id: '210987654321'\n    role: arn:aws-cn:iam::210987654321:role/Audit\n")
    code, err = run_cli(capsys, "validate", str(path))
    assert code == 0, err
