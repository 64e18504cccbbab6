"""Every failure gets a class; the crawl survives an endpoint that is not there at all."""

from __future__ import annotations

import socket

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    TokenRetrievalError,
)
from botocore.parsers import ResponseParserError
from botocore.retries.standard import ThrottledRetryableChecker

from audit.aws.failures import THROTTLING, classify, collapse_region_denials, error_row
from audit.aws.session import AwsContext, AwsSettings
from audit.store import error_rows
from audit.store.error_rows import ERROR_CLASSES
from audit.store.schema import TABLES


def _client_error(code: str, status: int, message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "ListThings")


def test_classes() -> None:
    """The codes real AWS returns (REAL_AWS_NOTES.md "Errors real AWS returns"), never "other"."""
    cases = {
        ("AccessDeniedException", 400): "access-denied", ("UnauthorizedOperation", 403): "access-denied",
        ("ThrottlingException", 400): "throttling", ("Throttling", 400): "throttling",
        ("TooManyRequestsException", 429): "throttling", ("LimitExceededException", 400): "throttling",
        ("RequestLimitExceeded", 503): "throttling", ("SlowDown", 503): "throttling",
        ("EC2ThrottledException", 400): "throttling", ("OptInRequired", 401): "region-disabled",
        ("UnrecognizedClientException", 400): "region-disabled", ("RequestTimeout", 400): "timeout",
        ("ResourceNotFoundException", 400): "not-found", ("InvalidAction", 400): "not-implemented",
        ("InternalFailure", 500): "service-unavailable", ("InvalidClientTokenId", 403): "region-disabled",
        ("ServiceUnavailable", 503): "service-unavailable", ("ServiceUnavailableException", 503):
        "service-unavailable", ("InternalError", 500): "service-unavailable", ("SomethingElse", 502):
        "service-unavailable", ("ExpiredToken", 400): "credentials", ("ExpiredTokenException", 400): "credentials",
        ("RequestExpired", 400): "credentials", ("InvalidAccessKeyId", 403): "credentials",
        ("SignatureDoesNotMatch", 403): "credentials",
        ("AuthFailure", 401): "region-disabled", ("Forbidden", 403): "access-denied",
        ("SomethingElse", 403): "access-denied", ("SomethingElse", 429): "throttling",
        ("ApplicationDoesNotExistException", 400): "not-found", ("RepositoryDoesNotExistException", 400): "not-found",
        ("ValidationException", 400): "other",
    }
    for (code, status), klass in cases.items():
        assert classify(_client_error(code, status))[0] == klass, code
    scp = _client_error("AccessDeniedException", 400, "User: arn:aws:sts::1:assumed-role/Audit/x is not authorized "
                        "to perform: codebuild:ListProjects with an explicit deny in a service control policy")
    assert classify(scp) == ("scp-denied", "AccessDeniedException")
    html = _client_error("500", 500, "<!doctype html><html><title>500 Internal Server Error</title>")
    assert classify(html) == ("not-implemented", "500")
    assert classify(EndpointConnectionError(endpoint_url="http://x"))[0] == "unreachable"
    assert classify(ConnectionClosedError(endpoint_url="http://x"))[0] == "unreachable"
    assert classify(ConnectTimeoutError(endpoint_url="http://x"))[0] == "timeout"
    assert classify(ReadTimeoutError(endpoint_url="http://x"))[0] == "timeout"
    assert classify(NoCredentialsError())[0] == "credentials"
    assert classify(TokenRetrievalError(provider="sso", error_msg="expired"))[0] == "credentials"
    assert classify(ResponseParserError("not json"))[0] == "invalid-content"


def test_throttling_codes_are_botocores_own() -> None:
    assert set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES) == THROTTLING
    assert {"LimitExceededException", "EC2ThrottledException", "SlowDown"} <= THROTTLING


def test_every_class_is_a_documented_one() -> None:
    assert set(ERROR_CLASSES) == {"credentials", "access-denied", "scp-denied", "region-disabled", "throttling",
                                  "timeout", "unreachable", "service-unavailable", "not-implemented", "not-found",
                                  "invalid-content", "other"}
    (klass,) = [c for c in TABLES["errors"].columns if c.name == "error_class"]
    assert klass.doc.split(" | ") == list(ERROR_CLASSES)


def test_error_rows_are_redacted() -> None:
    exc = _client_error("AccessDenied", 403, "denied for ASIAABCDEFGHIJKLMNOP with SessionToken=abc123secret")
    row = error_row(exc, account_id="1", client="c", region="r", collector="x")
    assert "ASIAABCDEFGHIJKLMNOP" not in row["message"] and "abc123secret" not in row["message"]
    assert (row["operation"], row["error_class"], row["source"]) == ("ListThings", "access-denied", "crawl")


def test_a_failure_without_an_operation_is_named_after_the_call_that_failed() -> None:
    """A refused connection carries no operation name: the row names the call the thread sent."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = AwsContext(AwsSettings(endpoint_url=f"http://127.0.0.1:{port}", max_attempts=1, retry_mode="standard"),
                      day="2026-01-01")
    ecr = dead.base_client("ecr", "eu-west-1")
    try:
        ecr.describe_repositories()
    except EndpointConnectionError as exc:
        assert not getattr(exc, "operation_name", "")
        row = error_row(exc, account_id="1", client="c", region="eu-west-1", collector="ecr")
    assert (row["operation"], row["error_class"]) == ("DescribeRepositories", "unreachable")


def test_a_region_wide_denial_is_one_row_per_account_and_region() -> None:
    scp = "not authorized to perform: x with an explicit deny in a service control policy"
    rows = [error_rows.error_row("crawl", account_id="1", client="c", region=region, collector=collector,
                                 operation=op, error_class=klass, error_code="AccessDeniedException", message=scp)
            for region, collector, op, klass in [
                ("eu-west-1", "codebuild", "ListProjects", "scp-denied"),
                ("eu-west-1", "ecs", "ListClusters", "scp-denied"),
                ("eu-west-1", "lambda", "ListFunctions", "scp-denied"),
                ("eu-west-1", "ecr", "ListImages", "throttling"),
                ("us-east-1", "codebuild", "ListProjects", "scp-denied")]]
    out = collapse_region_denials(rows)
    assert [(r["region"], r["collector"], r["operation"], r["error_class"]) for r in out] == [
        ("eu-west-1", "region", "ListProjects", "scp-denied"), ("eu-west-1", "ecr", "ListImages", "throttling"),
        ("us-east-1", "codebuild", "ListProjects", "scp-denied")]
    assert "3 calls of 3 collectors (codebuild, ecs, lambda) refused in eu-west-1" in out[0]["message"]
