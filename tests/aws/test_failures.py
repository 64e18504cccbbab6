"""Every failure gets a class; the crawl survives an endpoint that is not there at all."""

from __future__ import annotations

import socket
from pathlib import Path

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from audit.aws.crawler import crawl
from audit.aws.failures import classify, error_row
from audit.config import AccountsConfig
from audit.options import CrawlOptions
from audit.store.snapshots import open_snapshot


def _client_error(code: str, status: int, message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "ListThings")


def test_classes() -> None:
    cases = {
        ("AccessDeniedException", 400): "access-denied", ("UnauthorizedOperation", 403): "access-denied",
        ("ThrottlingException", 400): "throttling", ("Throttling", 400): "throttling",
        ("TooManyRequestsException", 429): "throttling", ("OptInRequired", 401): "region-disabled",
        ("UnrecognizedClientException", 400): "region-disabled", ("RequestTimeout", 400): "timeout",
        ("ResourceNotFoundException", 400): "not-found", ("InvalidAction", 400): "not-implemented",
        ("InternalFailure", 500): "other", ("InvalidClientTokenId", 403): "region-disabled",
        ("AuthFailure", 401): "region-disabled", ("Forbidden", 403): "access-denied",
        ("SomethingElse", 403): "access-denied", ("SomethingElse", 429): "throttling",
    }
    for (code, status), klass in cases.items():
        assert classify(_client_error(code, status))[0] == klass, code
    html = _client_error("500", 500, "<!doctype html><html><title>500 Internal Server Error</title>")
    assert classify(html) == ("not-implemented", "500")
    assert classify(EndpointConnectionError(endpoint_url="http://x"))[0] == "unreachable"
    assert classify(ConnectTimeoutError(endpoint_url="http://x"))[0] == "timeout"
    assert classify(ReadTimeoutError(endpoint_url="http://x"))[0] == "timeout"


def test_error_rows_are_redacted() -> None:
    exc = _client_error("AccessDenied", 403, "denied for ASIAABCDEFGHIJKLMNOP with SessionToken=abc123secret")
    row = error_row(exc, account_id="1", client="c", region="r", collector="x")
    assert "ASIAABCDEFGHIJKLMNOP" not in row["message"] and "abc123secret" not in row["message"]
    assert (row["operation"], row["error_class"], row["source"]) == ("ListThings", "access-denied", "crawl")


def test_unreachable_endpoint_fails_accounts_with_error_rows(tmp_path: Path, moto_url) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    config = AccountsConfig.model_validate({
        "endpoint_url": f"http://127.0.0.1:{port}",
        "defaults": {"regions": ["eu-west-1"], "retry": {"mode": "standard", "max_attempts": 1,
                                                        "connect_timeout": 1, "read_timeout": 1}},
        "clients": [{"name": "a", "account_id": "000000000901"}, {"name": "b", "account_id": "000000000902"}],
    })
    result = crawl(config, tmp_path, CrawlOptions(day="2026-01-06", services=("ecr",), progress=False))
    assert (result.accounts_failed, result.errors) == (2, 2)
    errors = open_snapshot(result.snapshot_dir).table("errors")
    assert set(errors["error_class"]) == {"unreachable"} and set(errors["operation"]) == {"AssumeRole"}
