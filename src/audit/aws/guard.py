"""The read-only guard: a botocore `before-call` hook that refuses every non-read operation.

It runs before the request is built or signed, so a refused call never leaves the process.
The allow-list is by operation name prefix (List, Describe, Get, BatchGet, Search, Lookup) plus
sts AssumeRole/GetCallerIdentity; a few Get* operations that hand out secret material are refused
too, because the audit never needs a secret value.
"""

from __future__ import annotations

import threading
from typing import Any

from audit.errors import AuditError

READ_PREFIXES = ("List", "Describe", "Get", "BatchGet", "Search", "Lookup")
ALLOWED_EXTRA = {("sts", "AssumeRole"), ("sts", "GetCallerIdentity")}
# Reads that return secrets or mint credentials: never needed, never allowed.
REFUSED_READS = {
    ("secretsmanager", "GetSecretValue"), ("secretsmanager", "BatchGetSecretValue"),
    ("ssm", "GetParameter"), ("ssm", "GetParameters"), ("ssm", "GetParametersByPath"),
    ("ssm", "GetParameterHistory"),  # its history holds the values
    ("ec2", "GetPasswordData"), ("ecr", "GetAuthorizationToken"), ("sts", "GetSessionToken"),
    ("sts", "GetFederationToken"), ("codeartifact", "GetAuthorizationToken"),
    ("ecr-public", "GetAuthorizationToken"), ("sso", "GetRoleCredentials"),
    ("redshift", "GetClusterCredentials"), ("redshift", "GetClusterCredentialsWithIAM"),
    ("redshift-serverless", "GetCredentials"), ("lightsail", "GetInstanceAccessDetails"),
    ("cognito-identity", "GetCredentialsForIdentity"), ("cognito-identity", "GetOpenIdToken"),
    ("cognito-identity", "GetOpenIdTokenForDeveloperIdentity"),
    ("lambda", "GetFunction"),  # its Code.Location is a pre-signed URL to the package
}


class ReadOnlyViolation(AuditError):
    """The crawler tried an operation that is not a read; refused before anything was sent."""


def is_read_only(service: str, operation: str) -> bool:
    """True for operations the audit may call (`service` is the botocore service name)."""
    if (service, operation) in REFUSED_READS:
        return False
    if (service, operation) in ALLOWED_EXTRA:
        return True
    return operation.startswith(READ_PREFIXES)


def refuse_writes(model: Any, **_: Any) -> None:
    """`before-call` handler: raise for any operation outside the allow-list."""
    service = model.service_model.service_name
    if not is_read_only(service, model.name):
        raise ReadOnlyViolation(f"refused {service}:{model.name}: cicd-audit only reads client accounts")


class CallCounter:
    """Counts HTTP requests (retries included) per thread via a `before-send` hook."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.total = 0

    def on_send(self, **_: Any) -> None:
        self._local.count = getattr(self._local, "count", 0) + 1
        with self._lock:
            self.total += 1

    def thread_count(self) -> int:
        return getattr(self._local, "count", 0)


def install(client: Any, counter: CallCounter | None = None) -> Any:
    """Register the guard (and the call counter) on one client and return it."""
    client.meta.events.register_first("before-call", refuse_writes, unique_id="cicd-audit-read-only")
    if counter is not None:
        client.meta.events.register("before-send", counter.on_send, unique_id="cicd-audit-count")
    return client
