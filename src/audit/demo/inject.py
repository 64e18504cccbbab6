"""Fault injection for the fleet: the bad days real AWS has, served over HTTP in each protocol's format.

    spec = parse_faults("deny=codepipeline:GetPipeline,throttle=50%,5xx=5%,stall=1%:2,die-after=400,seed=7")
    with fleet.inject(spec): crawl(...)          # or: cicd-audit fleet serve --faults '...'

Spec items (comma-separated, `deny`, `scp-deny-region` and `throttle-account` repeatable; fractions as 0.2 or 20%):

| item | effect |
|---|---|
| `deny=SERVICE:Operation` | every call of that botocore operation answers the service's AccessDenied |
| `scp-deny-region=REGION` | every call signed for REGION (STS excepted) answers AccessDenied "... with an explicit deny in a service control policy", as a region-deny SCP does |
| `throttle=F` | a fraction F of requests answers the service's real throttling error |
| `throttle-account=ID` | every request signed in account ID (STS excepted) answers the throttling error, as when something else in that account has used up its API rate |
| `5xx=F` | a fraction F answers 500 InternalFailure or 503 ServiceUnavailable (half each) |
| `stall=F:SECONDS` | a fraction F is answered only after SECONDS (past the read timeout: a timeout) |
| `die-after=N` | after N requests the server stops answering: every later connection is dropped |
| `seed=N` | which requests are hit (default 0) |

Deterministic: the fate of a request is a hash of the seed, the request (account, region, service,
method, path, query, body) and how many times that same request came before, so a retry draws
again and the same crawl meets the same faults in any thread order. Requests the fleet sends to
seed itself (`x-moto-account-id`, `/moto-api`) are never faulted and never counted.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from audit.demo import wire
from audit.errors import ConfigError
from audit.names import ACCOUNT_ID, REGION

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_FRACTION = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(%?)$")
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class FaultSpec:
    """What to inject; see the module doc for the spec syntax (`parse_faults`)."""

    deny: frozenset[tuple[str, str]] = frozenset()  # (botocore service name, operation name)
    scp_deny_regions: frozenset[str] = frozenset()  # regions a service control policy denies
    throttle_accounts: frozenset[str] = frozenset()  # accounts whose every request is throttled
    throttle: float = 0.0
    server_errors: float = 0.0
    stall: float = 0.0
    stall_seconds: float = 0.0
    die_after: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("throttle", "server_errors", "stall"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a fraction between 0 and 1")
        if self.throttle + self.server_errors + self.stall > 1.0:
            raise ValueError("throttle + 5xx + stall add up to more than 100% of requests")
        for region in self.scp_deny_regions:
            if not REGION.match(region):
                raise ValueError(f"not an AWS region name: {region!r}")
        for account in self.throttle_accounts:
            if not ACCOUNT_ID.match(account):
                raise ValueError(f"not a 12-digit AWS account id: {account!r}")
        for svc, op in self.deny:
            if op not in wire.service(svc).operations:  # ValueError for an unknown service
                raise ValueError(f"{svc} has no operation {op!r}")

    @property
    def active(self) -> bool:
        return bool(self.deny or self.scp_deny_regions or self.throttle_accounts or self.throttle or self.server_errors or self.stall or self.die_after is not None)

    def __str__(self) -> str:
        items = [f"deny={s}:{o}" for s, o in sorted(self.deny)]
        items += [f"scp-deny-region={r}" for r in sorted(self.scp_deny_regions)]
        items += [f"throttle-account={a}" for a in sorted(self.throttle_accounts)]
        items += [f"{k}={v:g}" for k, v in (("throttle", self.throttle), ("5xx", self.server_errors)) if v]
        if self.stall:
            items.append(f"stall={self.stall:g}:{self.stall_seconds:g}")
        if self.die_after is not None:
            items.append(f"die-after={self.die_after}")
        return ",".join([*items, f"seed={self.seed}"])


def _fraction(value: str) -> float:
    found = _FRACTION.match(value.strip())
    if not found:
        raise ValueError(f"expected a fraction such as 0.2 or 20%, got {value!r}")
    number = float(found.group(1)) / (100 if found.group(2) else 1)
    if number > 1:
        raise ValueError(f"a fraction is at most 1 (100%), got {value!r}")
    return number


def parse_faults(text: str, *, field_name: str = "--faults") -> FaultSpec:
    """A FaultSpec from its text; anything wrong is one ConfigError naming the item (exit 2)."""
    kwargs: dict[str, Any] = {}
    deny: set[tuple[str, str]] = set()
    scp_regions: set[str] = set()
    throttled: set[str] = set()
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        try:
            if not sep or not value.strip():
                raise ValueError("expected key=value")
            if key == "deny":
                svc, colon, op = value.strip().partition(":")
                if not colon or not svc or not op:
                    raise ValueError("expected deny=SERVICE:Operation, e.g. deny=codepipeline:GetPipeline")
                deny.add((svc, op))
            elif key == "scp-deny-region":
                scp_regions.add(value.strip())
            elif key == "throttle-account":
                throttled.add(value.strip())
            elif key == "throttle":
                kwargs["throttle"] = _fraction(value)
            elif key == "5xx":
                kwargs["server_errors"] = _fraction(value)
            elif key == "stall":
                share, colon, seconds = value.partition(":")
                if not colon:
                    raise ValueError("expected stall=FRACTION:SECONDS, e.g. stall=5%:2")
                kwargs["stall"], kwargs["stall_seconds"] = _fraction(share), float(seconds)
                if not 0 < kwargs["stall_seconds"] <= 600:
                    raise ValueError("stall seconds must be in (0, 600]")
            elif key in ("die-after", "seed"):
                number = int(value)
                if number < 0:
                    raise ValueError("must not be negative")
                kwargs["die_after" if key == "die-after" else "seed"] = number
            else:
                raise ValueError("unknown item; expected deny, scp-deny-region, throttle-account, throttle, 5xx, "
                                 "stall, die-after or seed")
        except ValueError as exc:
            raise ConfigError(f"{item!r}: {exc}", field=field_name) from None
    try:
        return FaultSpec(deny=frozenset(deny), scp_deny_regions=frozenset(scp_regions),
                         throttle_accounts=frozenset(throttled), **kwargs)
    except ValueError as exc:
        raise ConfigError(str(exc), field=field_name) from None


@dataclass
class InjectStats:
    """What the layer did (for tests and benchmarks)."""

    requests: int = 0
    denied: int = 0
    throttled: int = 0
    server_errors: int = 0
    stalled: int = 0
    dropped: int = 0
    operations: dict[tuple[str, str], int] = field(default_factory=dict)  # (service, op) -> requests


def _draw(*parts: object) -> float:
    """A uniform number in [0, 1) from the parts (stable across runs and processes)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class InjectMiddleware:
    """WSGI layer in front of moto applying a FaultSpec (settable while serving)."""

    def __init__(self, app: WsgiApp, spec: FaultSpec | None = None, *,
                 account_of: Callable[[str], str] | None = None) -> None:
        self.app = app
        self._account_of = account_of or (lambda key: key)
        self._lock = threading.Lock()
        self.spec = spec or FaultSpec()

    @property
    def spec(self) -> FaultSpec:
        return self._spec

    @spec.setter
    def spec(self, spec: FaultSpec) -> None:
        with self._lock:
            self._spec = spec
            self._seen: dict[str, int] = {}
            self.stats = InjectStats()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        spec = self._spec
        if not spec.active or wire.is_seeding(environ):
            return self.app(environ, start_response)
        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match is None:
            return self.app(environ, start_response)
        key, region, signing_name = match.groups()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        found = wire.operation_of(environ, body, signing_name)
        account = self._account_of(key)
        request = "|".join((account, region, signing_name, environ.get("REQUEST_METHOD", ""),
                            environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
                            hashlib.sha256(body).hexdigest()))
        with self._lock:
            stats = self.stats
            stats.requests += 1
            nth = self._seen[request] = self._seen.get(request, 0) + 1
            if found is not None:
                op_key = (found[0].name, found[1])
                stats.operations[op_key] = stats.operations.get(op_key, 0) + 1
            dead = spec.die_after is not None and stats.requests > spec.die_after
            if dead:
                stats.dropped += 1
        if dead:
            return self._drop(environ)
        if found is None:
            return self.app(environ, start_response)
        svc, operation = found
        if (svc.name, operation) in spec.deny:
            self._count("denied")
            message = (f"User: arn:aws:sts::{account}:assumed-role/CicdAuditReadOnly/cicd-audit is not authorized "
                       f"to perform: {svc.signing_name}:{operation} because no identity-based policy allows the "
                       f"{svc.signing_name}:{operation} action")
            return _answer(start_response, wire.access_denied(svc.protocol, message, svc=svc))
        if region in spec.scp_deny_regions and signing_name != "sts":
            # a region-deny SCP exempts STS (and the global services, signed for us-east-1) so that
            # roles still work: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html
            self._count("denied")
            message = (f"User: arn:aws:sts::{account}:assumed-role/CicdAuditReadOnly/cicd-audit is not authorized "
                       f"to perform: {svc.signing_name}:{operation} with an explicit deny in a service control policy")
            return _answer(start_response, wire.access_denied(svc.protocol, message, svc=svc))
        u = _draw(spec.seed, request, nth)
        if u < spec.throttle or (account in spec.throttle_accounts and signing_name != "sts"):
            self._count("throttled")
            return _answer(start_response, wire.throttled(svc))
        if u < spec.throttle + spec.server_errors:
            self._count("server_errors")
            status = 500 if _draw(spec.seed, "status", request, nth) < 0.5 else 503
            return _answer(start_response, wire.unavailable(svc, status))
        if u < spec.throttle + spec.server_errors + spec.stall:
            self._count("stalled")
            time.sleep(spec.stall_seconds)
        return self.app(environ, start_response)

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    @staticmethod
    def _drop(environ: dict[str, Any]) -> Iterable[bytes]:
        """Close the connection without an answer, as a server that died mid-crawl would."""
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionResetError("fault injection: the server is dead")


def _answer(start_response: Callable[..., Any], answer: wire.Answer) -> Iterable[bytes]:
    status, headers, body = answer
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]
