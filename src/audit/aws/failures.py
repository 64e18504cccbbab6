"""Turn any failure of an AWS call into an `errors` row with a class, never a crash.

Missing access must never look like "nothing there": every exception a collector lets through
becomes a row whose `error_class` says why (see the `errors` table in store/schema.py), with the
message redacted and shortened.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from audit.logs import redact

ACCESS_DENIED = {
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
    "AuthorizationError", "AuthorizationErrorException", "Forbidden", "NotAuthorized",
}
REGION_DISABLED = {"OptInRequired", "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure"}
THROTTLING = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "SlowDown", "RequestThrottled", "RequestThrottledException",
    "ProvisionedThroughputExceededException", "BandwidthLimitExceeded", "PriorRequestNotComplete",
}
TIMEOUT = {"RequestTimeout", "RequestTimeoutException"}
NOT_IMPLEMENTED = {"NotImplemented", "NotImplementedError", "InvalidAction", "UnknownOperationException",
                   "UnsupportedOperation", "501"}

# Exceptions a collector may raise that mean "this call failed", not "the crawler has a bug".
AWS_ERRORS: tuple[type[BaseException], ...] = (BotoCoreError, ClientError, ResponseParserError)


def is_not_implemented_response(status: int | None, code: str | None, body: str | None = None) -> bool:
    """An endpoint that does not implement the operation (moto answers HTTP 500 with an HTML page)."""
    if code in NOT_IMPLEMENTED or status == 501:
        return True
    return status == 500 and code in (None, "", "500") and "<html" in (body or "").lower()


def classify(exc: BaseException) -> tuple[str, str]:
    """(error_class, error_code) for an exception raised by a botocore call."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {}) or {}
        code = str(err.get("Code", "") or "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if is_not_implemented_response(status, code, str(err.get("Message", ""))):
            return "not-implemented", code or str(status)
        # a known code decides before the HTTP status: a disabled region answers 403 InvalidClientTokenId
        if code in ACCESS_DENIED:
            return "access-denied", code
        if code in THROTTLING:
            return "throttling", code
        if code in REGION_DISABLED:
            return "region-disabled", code
        if code in TIMEOUT:
            return "timeout", code
        if "NotFound" in code or code.startswith("NoSuch"):
            return "not-found", code
        if status == 403:
            return "access-denied", code
        if status == 429:
            return "throttling", code
        return "other", code or str(status)
    if isinstance(exc, ResponseParserError):
        # an HTML error page where XML/JSON was expected: moto's answer to an unimplemented call
        text = str(exc)
        return ("not-implemented" if "500 Internal Server Error" in text else "other"), "ResponseParserError"
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return "timeout", type(exc).__name__
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError):
        return "unreachable", type(exc).__name__
    if isinstance(exc, NoCredentialsError):
        return "assume-role", type(exc).__name__
    return "other", type(exc).__name__


def message_of(exc: BaseException, error_class: str) -> str:
    """A short, redacted message; an endpoint's HTML error page is replaced by a plain sentence."""
    if error_class == "not-implemented":
        op = getattr(exc, "operation_name", "") or "operation"
        return f"{op} is not implemented by this endpoint"
    text = redact(str(exc))
    return text if len(text) <= 500 else text[:497] + "..."


def error_row(exc: BaseException, *, account_id: str, client: str, region: str, collector: str,
              operation: str = "", error_class: str | None = None) -> dict[str, Any]:
    """One `errors` row for `exc` (source = crawl)."""
    klass, code = classify(exc)
    klass = error_class or klass
    return {
        "source": "crawl", "account_id": account_id, "client": client, "region": region,
        "collector": collector, "operation": operation or getattr(exc, "operation_name", "") or "",
        "error_class": klass, "error_code": code, "message": message_of(exc, klass),
    }
