"""A minimal in-process CodeConnections for the fleet: moto has no backend for `codeconnections` or
the older `codestar-connections` (/work/shared/MOTO_NOTES.md), so a WSGI layer in front of moto
answers both APIs, in fleet account regions only, from the connections the fleet seeded.

Answered as the API reference documents them (both APIs speak JSON 1.0 here: botocore prefers
`json` to `smithy-rpc-v2-cbor` for codeconnections):
- ListConnections: `Connections[]` of {ConnectionName, ConnectionArn, ProviderType, OwnerAccountId,
  ConnectionStatus, HostArn}, filtered by ProviderTypeFilter and HostArnFilter, paged by MaxResults
  and NextToken (https://docs.aws.amazon.com/codeconnections/latest/APIReference/API_ListConnections.html).
  Connections of either ARN prefix are listed by either API, as after AWS's rename
  (https://docs.aws.amazon.com/dtconsole/latest/userguide/rename.html).
- ListTagsForResource: `Tags[]` of {Key, Value}; an unknown ARN is ResourceNotFoundException
  (https://docs.aws.amazon.com/codeconnections/latest/APIReference/API_ListTagsForResource.html).
Any other operation, and any request outside a fleet account region, goes on to moto unchanged
(which has no answer for it), so other moto users in the process see plain moto.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from audit.demo.wire import error_answer

SIGNING_NAMES = frozenset({"codeconnections", "codestar-connections"})
DEFAULT_PAGE = 50  # MaxResults when the request gives none
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Connection:
    arn: str
    name: str
    provider_type: str
    status: str = "AVAILABLE"
    host_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        return self.arn.split(":")[4]

    def listed(self) -> dict[str, Any]:
        out = {"ConnectionName": self.name, "ConnectionArn": self.arn, "ProviderType": self.provider_type,
               "OwnerAccountId": self.owner, "ConnectionStatus": self.status}
        return {**out, "HostArn": self.host_arn} if self.host_arn else out


_lock = threading.Lock()
_regions: set[tuple[str, str]] = set()  # fleet (account, region)s this layer answers
_connections: dict[tuple[str, str], dict[str, Connection]] = {}


def listing(account_id: str, regions: Iterable[str]) -> None:
    """Answer ListConnections in these fleet account regions (an empty list until one is added)."""
    with _lock:
        _regions.update((account_id, r) for r in regions)


def add(account_id: str, region: str, connection: Connection) -> bool:
    """Store a fleet connection; False when it is there already (the fleet names one per account)."""
    with _lock:
        _regions.add((account_id, region))
        held = _connections.setdefault((account_id, region), {})
        if connection.arn in held:
            return False
        held[connection.arn] = connection
        return True


def reset(account_ids: Iterable[str]) -> None:
    """Forget these accounts' connections (a new fleet reuses the account ids)."""
    wanted = set(account_ids)
    with _lock:
        _regions.difference_update({k for k in _regions if k[0] in wanted})
        for k in [k for k in _connections if k[0] in wanted]:
            del _connections[k]


def connections(account_id: str, region: str) -> list[Connection]:
    with _lock:
        return sorted(_connections.get((account_id, region), {}).values(), key=lambda c: c.arn)


class ConnectionsMiddleware:
    """Answer the fleet's CodeConnections requests; pass everything else to `app` (moto)."""

    def __init__(self, app: WsgiApp, account_of: Callable[[str], str]) -> None:
        self.app, self.account_of = app, account_of

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if found is None or found.group(3) not in SIGNING_NAMES:
            return self.app(environ, start_response)
        key, region, _ = found.groups()
        account = self.account_of(key)
        operation = environ.get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[-1]
        with _lock:
            ours = (account, region) in _regions
        if not ours or operation not in ("ListConnections", "ListTagsForResource"):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        params = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        held = connections(account, region)
        if operation == "ListConnections":
            status, body = "200 OK", list_connections(held, params)
        else:
            match = [c for c in held if c.arn == params.get("ResourceArn")]
            if not match:
                status_line, headers, payload = error_answer(
                    "json", "ResourceNotFoundException", f"Resource not found: {params.get('ResourceArn')}", 400,
                    json_version="1.0")
                start_response(status_line, [*headers, ("Content-Length", str(len(payload)))])
                return [payload]
            status, body = "200 OK", {"Tags": [{"Key": k, "Value": v} for k, v in sorted(match[0].tags.items())]}
        payload = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/x-amz-json-1.0"),
                                ("x-amzn-RequestId", "fleet-connections"), ("Content-Length", str(len(payload)))])
        return [payload]


def list_connections(held: list[Connection], params: dict[str, Any]) -> dict[str, Any]:
    """One ListConnections page over `held` (sorted), with the documented filters."""
    kind, host = params.get("ProviderTypeFilter"), params.get("HostArnFilter")
    chosen = [c for c in held if (not kind or c.provider_type == kind) and (not host or c.host_arn == host)]
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxResults") or DEFAULT_PAGE)
    out: dict[str, Any] = {"Connections": [c.listed() for c in chosen[start:start + size]]}
    if start + size < len(chosen):
        out["NextToken"] = str(start + size)
    return out
