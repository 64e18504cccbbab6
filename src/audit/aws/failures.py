"""Turn any failure of an AWS call into an `errors` row with a class, never a crash.

Missing access must never look like "nothing there": every exception a collector lets through
becomes a row whose `error_class` says why (audit.store.error_rows.ERROR_CLASSES, documented in
docs/crawler.md), naming the operation that failed. A failure that carries no operation (a
timeout, a refused connection) is named after the operation the thread last sent (`note_call`,
fed by the guard's before-call hook).
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    HTTPClientError,
    NoAuthTokenError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)
from botocore.parsers import ResponseParserError
from botocore.retries.standard import ThrottledRetryableChecker

from audit.store import error_rows

CREDENTIALS = {
    "ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidAccessKeyId", "SignatureDoesNotMatch",
    "InvalidToken", "TokenRefreshRequired", "InvalidSignatureException", "IncompleteSignature",
}
ACCESS_DENIED = {
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
    "AuthorizationError", "AuthorizationErrorException", "Forbidden", "NotAuthorized",
}
SCP_DENY = "service control policy"  # "... with an explicit deny in a service control policy"
# A token from a region the account has not enabled is "unrecognised" there; outside such regions
# (the STS calls of the session phase) the same codes mean bad credentials (tasks.py remaps them).
REGION_DISABLED = {"OptInRequired", "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure"}
# botocore's own list of throttling codes (the ones its standard/adaptive retry modes back off on)
THROTTLING = frozenset(ThrottledRetryableChecker._THROTTLED_ERROR_CODES)
TIMEOUT = {"RequestTimeout", "RequestTimeoutException"}
SERVICE_UNAVAILABLE = {
    "ServiceUnavailable", "ServiceUnavailableException", "InternalError", "InternalFailure",
    "InternalServerError", "InternalServerException", "InternalServiceError", "InternalServiceException",
    "ServiceFailure", "Unavailable", "BadGateway", "GatewayTimeout",
}
NOT_IMPLEMENTED = {"NotImplemented", "NotImplementedError", "InvalidAction", "UnknownOperationException",
                   "UnsupportedOperation", "501"}
CREDENTIAL_EXCEPTIONS = (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError,
                         TokenRetrievalError, SSOError, NoAuthTokenError)

# Exceptions a collector may raise that mean "this call failed", not "the crawler has a bug".
AWS_ERRORS: tuple[type[BaseException], ...] = (BotoCoreError, ClientError, ResponseParserError)

_calls = threading.local()


def note_call(operation: str) -> None:
    """Remember the operation this thread is about to send (the guard calls this in before-call)."""
    _calls.operation = operation


def last_call() -> str:
    return getattr(_calls, "operation", "")


def is_not_implemented_response(status: int | None, code: str | None, body: str | None = None) -> bool:
    """An endpoint that does not implement the operation (moto answers HTTP 500 with an HTML page)."""
    if code in NOT_IMPLEMENTED or status == 501:
        return True
    return status == 500 and code in (None, "", "500") and "<html" in (body or "").lower()


def _classify_client_error(exc: ClientError) -> tuple[str, str]:
    err = exc.response.get("Error", {}) or {}
    code = str(err.get("Code", "") or "")
    message = str(err.get("Message", "") or "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if is_not_implemented_response(status, code, message):
        return "not-implemented", code or str(status)
    # a known code decides before the HTTP status: a disabled region answers 403 InvalidClientTokenId
    if code in CREDENTIALS:
        return "credentials", code
    if code in ACCESS_DENIED or (status == 403 and code not in REGION_DISABLED):
        return ("scp-denied" if SCP_DENY in message.lower() else "access-denied"), code or str(status)
    if code in THROTTLING or status == 429:
        return "throttling", code or str(status)
    if code in REGION_DISABLED:
        return "region-disabled", code
    if code in TIMEOUT:
        return "timeout", code
    if code in SERVICE_UNAVAILABLE or (status or 0) >= 500:
        return "service-unavailable", code or str(status)
    # NotFound/NoSuch*, and the "<Thing>DoesNotExist" codes of CodeDeploy, Beanstalk, CodeCommit, ...
    if "NotFound" in code or code.startswith("NoSuch") or "DoesNotExist" in code:
        return "not-found", code
    return "other", code or str(status)


def classify(exc: BaseException) -> tuple[str, str]:
    """(error_class, error_code) for an exception raised by a botocore call."""
    if isinstance(exc, ClientError):
        return _classify_client_error(exc)
    name = type(exc).__name__
    if isinstance(exc, ResponseParserError):
        # an HTML error page where XML/JSON was expected: moto's answer to an unimplemented call
        return ("not-implemented" if "500 Internal Server Error" in str(exc) else "invalid-content"), name
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return "timeout", name
    if isinstance(exc, HTTPClientError | ConnectionError):  # refused, closed, DNS, proxy: no answer
        return "unreachable", name
    if isinstance(exc, CREDENTIAL_EXCEPTIONS):
        return "credentials", name
    return "other", name


def message_of(exc: BaseException, error_class: str) -> str:
    """A short, redacted message; an endpoint's HTML error page is replaced by a plain sentence."""
    if error_class == "not-implemented":
        op = getattr(exc, "operation_name", "") or "operation"
        return f"{op} is not implemented by this endpoint"
    return error_rows.short_message(str(exc))


def operation_of(exc: BaseException, given: str = "") -> str:
    """The operation a failure belongs to: as given, as botocore says, or the thread's last call."""
    return given or getattr(exc, "operation_name", "") or getattr(exc, "operation", "") or last_call()


def error_row(exc: BaseException, *, account_id: str, client: str, region: str, collector: str,
              operation: str = "", error_class: str | None = None) -> dict[str, Any]:
    """One `errors` row for `exc` (source = crawl)."""
    klass, code = classify(exc)
    klass = error_class or klass
    return error_rows.error_row("crawl", account_id=account_id, client=client, region=region, collector=collector,
                                operation=operation_of(exc, operation), error_class=klass, error_code=code,
                                message=message_of(exc, klass))


REGION_WIDE = ("scp-denied", "region-disabled")


def collapse_region_denials(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (region, class) where a region-wide denial hit several collectors of an account.

    A region-deny SCP or a disabled region refuses every collector there: one fact, so one row
    (named after the first refused operation, listing the collectors) instead of ~14."""
    groups: dict[tuple[Any, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row["error_class"] in REGION_WIDE:
            groups.setdefault((row["region"], row["error_class"]), []).append(row)
    wide = {key: group for key, group in groups.items() if len({r["collector"] for r in group}) > 1}
    out, done = [], set()
    for row in rows:
        key = (row["region"], row["error_class"])
        if key not in wide:
            out.append(row)
        elif key not in done:
            done.add(key)
            group = wide[key]
            collectors = sorted({r["collector"] for r in group})
            out.append({**row, "collector": "region", "message": error_rows.short_message(
                f"{len(group)} calls of {len(collectors)} collectors ({', '.join(collectors)}) refused in "
                f"{row['region']}: {row['message']}")})
    return out
