"""AWS on the wire, for the fleet's fault layers: which operation a request calls, and error answers
in each service's own protocol (so botocore parses, classifies and retries them as it would AWS's).

A request names its service by the signing name in its SigV4 credential scope and its operation by
protocol: the `X-Amz-Target` header (json), the `Action` parameter (query, ec2), or the HTTP method
and path matched against the botocore model's `requestUri` templates (rest-json, rest-xml).

Error codes and statuses are the ones AWS documents per protocol:
- throttling: json `ThrottlingException` (400), query `Throttling` (400), S3 `SlowDown` (503), other
  rest-xml (CloudFront) `Throttling` (400), EC2 `RequestLimitExceeded` (503), Lambda and API Gateway
  `TooManyRequestsException` (429). https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html,
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html,
  https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors.
- service errors: `InternalFailure` (500) / `ServiceUnavailable` (503); S3 and EC2 say `InternalError`,
  EC2 `Unavailable` for 503.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import botocore.session

WIRE_PROTOCOLS = ("query", "json", "rest-json", "rest-xml", "ec2")
# The services the fleet serves (and sts, organizations): what a request's signing name can mean.
FLEET_SERVICES = (
    "sts", "organizations", "iam", "codepipeline", "codebuild", "codedeploy", "codecommit", "cloudformation",
    "ecs", "eks", "lambda", "elasticbeanstalk", "ecr", "s3", "cloudfront", "apigateway", "apigatewayv2",
    "autoscaling", "ec2", "cloudwatch", "resourcegroupstaggingapi", "events", "codeconnections",
    "codestar-connections",
)
_THROTTLE = {"s3": ("SlowDown", 503), "ec2": ("RequestLimitExceeded", 503),
             "lambda": ("TooManyRequestsException", 429), "apigateway": ("TooManyRequestsException", 429),
             "apigatewayv2": ("TooManyRequestsException", 429)}
_THROTTLE_BY_PROTOCOL = {"json": ("ThrottlingException", 400), "rest-json": ("ThrottlingException", 400),
                         "query": ("Throttling", 400), "rest-xml": ("Throttling", 400),
                         "ec2": ("RequestLimitExceeded", 503)}
_REASONS = {400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests", 500: "Internal Server Error",
            503: "Service Unavailable"}

Answer = tuple[str, list[tuple[str, str]], bytes]  # WSGI status, headers, body


@functools.lru_cache(maxsize=1)
def _botocore() -> botocore.session.Session:
    return botocore.session.get_session()


@dataclass(frozen=True)
class Service:
    """One botocore service as it appears on the wire."""

    name: str
    signing_name: str
    protocol: str
    operations: frozenset[str]
    json_version: str = "1.1"
    query_compatible: bool = False  # JSON services that were query ones (CloudWatch): code in a header


@functools.cache
def service(name: str) -> Service:
    """The wire view of a botocore service; ValueError when it is unknown or speaks another protocol."""
    try:
        model = _botocore().get_service_model(name)
    except botocore.exceptions.UnknownServiceError:
        raise ValueError(f"unknown AWS service {name!r} (botocore service names: lambda, codepipeline, ...)") from None
    protocol = model.resolved_protocol  # what botocore's client speaks (json before cbor)
    if protocol not in WIRE_PROTOCOLS:
        raise ValueError(f"cannot fake errors for {name}: its client speaks {protocol}")
    return Service(name, model.signing_name, protocol, frozenset(model.operation_names),
                   model.metadata.get("jsonVersion", "1.1"), "awsQueryCompatible" in model.metadata)


@functools.lru_cache(maxsize=1)
def _by_signing_name() -> dict[str, tuple[Service, ...]]:
    out: dict[str, list[Service]] = {}
    for name in FLEET_SERVICES:
        try:
            svc = service(name)
        except ValueError:
            continue
        out.setdefault(svc.signing_name, []).append(svc)
    return {k: tuple(v) for k, v in out.items()}


def services_signing_as(signing_name: str) -> tuple[Service, ...]:
    """The fleet's services that sign with this name (apigateway and apigatewayv2 share one)."""
    return _by_signing_name().get(signing_name, ())


@dataclass(frozen=True)
class _Route:
    method: str
    path: re.Pattern[str]
    query: tuple[tuple[str, str | None], ...]  # required query keys (and values)
    operation: str
    literal: int  # characters of the template that are not placeholders: more is more specific


def _route(method: str, uri: str, operation: str) -> _Route:
    """A matcher for one operation's `requestUri` ("/{Bucket}?tagging", "/2015-03-31/functions/{Name}")."""
    path, _, query = uri.partition("?")
    parts = re.split(r"({[^}]+})", path.rstrip("/") or "/")
    pattern = "".join((".+" if p.endswith("+}") else "[^/]+") if p.startswith("{") else re.escape(p) for p in parts)
    required = tuple((k, v or None) for k, _, v in (p.partition("=") for p in query.split("&") if p))
    literal = sum(len(p) for p in parts if not p.startswith("{"))
    return _Route(method, re.compile(f"^{pattern}/?$" if pattern != "/" else "^/$"), required, operation, literal)


@functools.cache
def _routes(name: str) -> tuple[_Route, ...]:
    model = _botocore().get_service_model(name)
    routes = [_route(op.http.get("method", "POST"), op.http.get("requestUri", "/"), op.name)
              for op in (model.operation_model(n) for n in model.operation_names)]
    return tuple(sorted(routes, key=lambda r: (-len(r.query), -r.literal)))


def _rest_operation(name: str, method: str, path: str, query: Mapping[str, list[str]]) -> str | None:
    for route in _routes(name):
        if route.method == method and route.path.match(path) and all(
                k in query and (v is None or v in query[k]) for k, v in route.query):
            return route.operation
    return None


def operation_of(environ: Mapping[str, Any], body: bytes, signing_name: str) -> tuple[Service, str] | None:
    """(service, operation name) a request calls, or None when it is not one of the fleet's services."""
    candidates = services_signing_as(signing_name)
    if not candidates:
        return None
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    for svc in candidates:
        if svc.protocol == "json" and target:
            return svc, target.rsplit(".", 1)[-1]
        if svc.protocol in ("query", "ec2"):
            form = parse_qs(body.decode("utf-8", "replace")) if body else {}
            action = (form.get("Action") or query.get("Action") or [""])[0]
            if action:
                return svc, action
        if svc.protocol in ("rest-json", "rest-xml"):
            op = _rest_operation(svc.name, environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/"), query)
            if op:
                return svc, op
    return None


def is_seeding(environ: Mapping[str, Any]) -> bool:
    """A request the fleet sends to seed itself (it names its account; or moto's own API): never faulted."""
    return "HTTP_X_MOTO_ACCOUNT_ID" in environ or environ.get("PATH_INFO", "").startswith("/moto-api")


# ---- error answers ---------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_answer(protocol: str, code: str, message: str, status: int, *, s3_style: bool = False,
                 json_version: str = "1.1", query_code: str | None = None,
                 extra_headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    """(status, headers, body) of an AWS error in a wire protocol's own format.

    `query_code`: a query-compatible JSON service (CloudWatch) also names its legacy query error
    code in `x-amzn-query-error`, which botocore reads in preference to `__type`."""
    rid = str(uuid.uuid4())
    line = f"{status} {_REASONS.get(status, 'Error')}"
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
        ctype = f"application/x-amz-json-{json_version}" if protocol == "json" else "application/json"
        headers = [("Content-Type", ctype), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", rid), *extra_headers]
        if query_code:
            headers.append(("x-amzn-query-error", f"{query_code};{'Receiver' if status >= 500 else 'Sender'}"))
        return line, headers, body
    esc = _escape(message)
    if protocol == "ec2":
        text = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>"
                f"<Message>{esc}</Message></Error></Errors><RequestID>{rid}</RequestID></Response>")
    elif protocol == "rest-xml" and s3_style:
        text = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{esc}</Message>"
                f"<RequestId>{rid}</RequestId></Error>")
    else:  # query, and rest-xml services other than S3 (CloudFront): the ErrorResponse envelope
        kind = "Receiver" if status >= 500 else "Sender"
        text = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{esc}</Message></Error>"
                f"<RequestId>{rid}</RequestId></ErrorResponse>")
    return line, [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid), *extra_headers], text.encode()


def access_denied(protocol: str, message: str, *, code: str = "AccessDenied", svc: Service | None = None) -> Answer:
    """AccessDenied in the protocol's own format (json: AccessDeniedException; EC2: UnauthorizedOperation)."""
    if protocol in ("json", "rest-json"):
        return error_answer(protocol, "AccessDeniedException", message, 400 if protocol == "json" else 403,
                            **_json_traits(svc, "AccessDenied"))
    if protocol == "ec2":
        return error_answer(protocol, "UnauthorizedOperation", message, 403)
    return error_answer(protocol, code, message, 403, s3_style=protocol == "rest-xml")


def throttled(svc: Service) -> Answer:
    """The throttling error this service really answers with."""
    code, status = _THROTTLE.get(svc.name) or _THROTTLE_BY_PROTOCOL[svc.protocol]
    extra = (("Retry-After", "1"),) if status == 429 else ()
    return error_answer(svc.protocol, code, "Rate exceeded", status, s3_style=svc.name == "s3", extra_headers=extra,
                        **_json_traits(svc, "Throttling"))


def unavailable(svc: Service, status: int) -> Answer:
    """A 500 or 503 service error as this service words it."""
    if status == 503:
        code = "Unavailable" if svc.name == "ec2" else "ServiceUnavailable"
        text = "Service is unable to handle request"
    else:
        code = "InternalError" if svc.name in ("s3", "ec2") else "InternalFailure"
        text = "We encountered an internal error. Please try again."
    return error_answer(svc.protocol, code, text, status, s3_style=svc.name == "s3", **_json_traits(svc, code))


def _json_traits(svc: Service | None, query_code: str) -> dict[str, Any]:
    if svc is None:
        return {}
    return {"json_version": svc.json_version, "query_code": query_code if svc.query_compatible else None}
