"""The fleet's moto server: moto's WSGI app on 127.0.0.1, wrapped in small middlewares.

- `LatencyMiddleware` sleeps before every AWS request, on the server side, so every client (the
  crawler, the naive benchmark baseline, boto3 in tests) pays exactly the same network-like delay.
- `FaultMiddleware` answers some requests with real AWS-shaped AccessDenied errors, so the crawler
  exercises its genuine error handling over HTTP: AssumeRole into chosen accounts is refused by STS,
  and chosen (account, region, service) combinations are denied for every call (the fleet's own faults).
- `audit.demo.connections.ConnectionsMiddleware` answers CodeConnections, which moto lacks, for the
  fleet's connections (behind the other layers, so they delay and fault it like any service).
- `audit.demo.inject.InjectMiddleware` injects what a test or `fleet serve --faults` asks for: a
  denied operation, throttling, 5xx, stalls, a server dying mid-crawl (see that module).

The account of a request is found the way moto finds it: the access key id in the SigV4
`Authorization` header; keys handed out by AssumeRole are registered in moto's IAM backend of the
assumed account (`moto.iam.models.get_account_id_from`). Requests that name their account with
`x-moto-account-id` (the fleet's own seeding) are never delayed or faulted.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from audit.demo import wire
from audit.demo.connections import ConnectionsMiddleware
from audit.demo.inject import FaultSpec, InjectMiddleware
from audit.demo.wire import access_denied, is_seeding

log = logging.getLogger(__name__)

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Faults:
    """What the fault layer refuses: accounts whose roles cannot be assumed, denied services."""

    assume_role_denied: frozenset[str] = frozenset()
    # (account_id, region, botocore service name)
    denied: frozenset[tuple[str, str, str]] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        return {"assume_role_denied": sorted(self.assume_role_denied),
                "denied": [list(d) for d in sorted(self.denied)]}


def _signing(service: str) -> tuple[str, str]:
    """(signing name, wire protocol) of a botocore service, as the client will use it."""
    svc = wire.service(service)
    return svc.signing_name, svc.protocol


class LatencyMiddleware:
    """Sleep `latency_ms` before every AWS request (settable while serving)."""

    def __init__(self, app: WsgiApp, latency_ms: float = 0) -> None:
        self.app, self.latency_ms = app, latency_ms

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.latency_ms > 0 and not is_seeding(environ):
            time.sleep(self.latency_ms / 1000)
        return self.app(environ, start_response)


class FaultMiddleware:
    """Answer AssumeRole into denied accounts, and denied (account, region, service), with AccessDenied."""

    def __init__(self, app: WsgiApp, faults: Faults | None = None) -> None:
        self.app = app
        self._key_accounts: dict[str, str] = {}
        self._lock = threading.Lock()
        self.faults = faults or Faults()

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._faults = faults
        signing = {s: _signing(s) for s in {s for _, _, s in faults.denied}}  # loads a service model each
        self._denied = {(a, r, signing[s][0]): signing[s][1] for a, r, s in faults.denied}

    def account_of(self, key: str) -> str:
        """The account an access key id acts in (cached)."""
        with self._lock:
            cached = self._key_accounts.get(key)
        if cached is None:
            from moto.iam.models import get_account_id_from

            cached = get_account_id_from(key)
            with self._lock:
                self._key_accounts[key] = cached
        return cached

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        faults = self._faults
        if is_seeding(environ) or not (faults.assume_role_denied or faults.denied):
            return self.app(environ, start_response)
        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match is None:
            return self.app(environ, start_response)
        key, region, signing_name = match.groups()
        if signing_name == "sts" and faults.assume_role_denied:
            denied = self._assume_denied(environ, key)
            if denied:
                return self._answer(start_response, access_denied("query", denied))
        if self._denied:
            account = self.account_of(key)
            protocol = self._denied.get((account, region, signing_name))
            if protocol is not None:
                action = _action(environ)
                message = (f"User: arn:aws:sts::{account}:assumed-role/CicdAuditReadOnly/cicd-audit is not "
                           f"authorized to perform: {signing_name}:{action} with an explicit deny in a "
                           f"service control policy")
                return self._answer(start_response, access_denied(protocol, message))
        return self.app(environ, start_response)

    def _assume_denied(self, environ: dict[str, Any], key: str) -> str | None:
        """The AccessDenied message if this STS request assumes a role in a denied account."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if environ.get("QUERY_STRING"):
            params.update({k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()})
        if not params.get("Action", "").startswith("AssumeRole"):
            return None
        arn = params.get("RoleArn", "")
        found = _ROLE_ARN.match(arn)
        if not found or found.group(1) not in self._faults.assume_role_denied:
            return None
        caller = self.account_of(key)
        return (f"User: arn:aws:iam::{caller}:user/cicd-audit is not authorized to perform: "
                f"sts:AssumeRole on resource: {arn}")

    @staticmethod
    def _answer(start_response: Callable[..., Any], answer: tuple[str, list, bytes]) -> Iterable[bytes]:
        status, headers, body = answer
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]


def _action(environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    return "*"


def _account_of(key: str) -> str:
    from moto.iam.models import get_account_id_from

    return get_account_id_from(key)


class _QuietHandler(MotoRequestHandler):
    """moto's request handler without one log line per request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _log_quietly(kind: str, message: str, *args: Any) -> None:
    text = (message % args) if args else message
    log.debug("moto %s: %s", kind, text.strip().splitlines()[0] if text.strip() else "")


@dataclass
class FleetServer:
    """moto on 127.0.0.1 in a daemon thread, with latency and fault layers in front."""

    port: int = 0
    latency_ms: float = 0
    faults: Faults = field(default_factory=Faults)
    inject: FaultSpec = field(default_factory=FaultSpec)
    host: str = field(default="127.0.0.1", init=False)
    _server: BaseWSGIServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    def start(self) -> FleetServer:
        app: WsgiApp = ConnectionsMiddleware(DomainDispatcherApplication(create_backend_app), _account_of)
        self._faults_mw = FaultMiddleware(app, self.faults)
        self._inject_mw = InjectMiddleware(self._faults_mw, self.inject, account_of=self._faults_mw.account_of)
        self._latency_mw = LatencyMiddleware(self._inject_mw, self.latency_ms)
        self._server = make_server(self.host, self.port, self._latency_mw, threaded=True,
                                   request_handler=_QuietHandler)
        self._server.daemon_threads = True
        # moto answers unimplemented operations with HTTP 500 (the crawler records them); werkzeug
        # would print a traceback for each: keep one debug line instead.
        self._server.log = _log_quietly  # type: ignore[method-assign]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"moto-{self.port}",
                                        daemon=True)
        self._thread.start()
        log.info("moto serving on %s", self.url)
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def set_latency(self, latency_ms: float) -> None:
        self.latency_ms = latency_ms
        self._latency_mw.latency_ms = latency_ms

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self._faults_mw.faults = faults

    def set_inject(self, spec: FaultSpec) -> None:
        """Inject these faults from now on (resets the injection counters)."""
        self.inject = spec
        self._inject_mw.spec = spec

    @property
    def inject_stats(self) -> Any:
        return self._inject_mw.stats

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
