"""Sessions for the crawl: base credentials, AssumeRole per account, one shared model loader.

- Base credentials come from botocore's standard chain (env, `--profile`, SSO profiles, ...).
- Each client account gets `DeferredRefreshableCredentials` fed by botocore's own
  `AssumeRoleCredentialFetcher` (ExternalId, session name `cicd-audit-<date>`): assumed once,
  cached in memory, refreshed before expiry, so crawls longer than a role session keep working.
- Every account session shares ONE botocore loader, so service models are read once per process
  (a fresh boto3 Session per account costs ~23 ms per client), and clients are cached per
  (account, region, service).
- Every client gets the read-only guard and the call counter (audit.aws.guard).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    CredentialProvider,
    Credentials,
    DeferredRefreshableCredentials,
)

from audit.aws.failures import is_not_implemented_response
from audit.aws.guard import CallCounter, install
from audit.errors import ConfigError

DEFAULT_REGION = "us-east-1"
GLOBAL = "global"


@dataclass(frozen=True)
class AwsSettings:
    """Everything needed to rebuild an AwsContext in any process (picklable, no credentials)."""

    profile: str | None = None
    endpoint_url: str | None = None
    retry_mode: str = "adaptive"
    max_attempts: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_pool_connections: int = 16
    session_name: str = "cicd-audit"
    home_region: str = DEFAULT_REGION


@dataclass(frozen=True)
class Target:
    """One client account to get into."""

    account_id: str
    client: str
    role_arn: str
    external_id: str | None = None


class _AssumedRole(CredentialProvider):
    """Hands a per-account session its (refreshable) assumed-role credentials."""

    METHOD = "cicd-audit-assume-role"
    CANONICAL_NAME = "cicd-audit-assume-role"

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


def _no_retry_when_not_implemented(response: Any = None, **_: Any) -> None:
    """moto answers an unimplemented operation with HTTP 500 + an HTML page; retrying it is futile.

    Real AWS 500s carry an error code and stay retryable. Marking the answer 501 makes botocore's
    standard/adaptive retry checkers treat it as final.
    """
    if not response or response[0] is None:
        return
    http, parsed = response
    code = (parsed or {}).get("Error", {}).get("Code")
    if http.status_code == 500 and is_not_implemented_response(500, code, http.text[:200]):
        http.status_code = 501


class AwsContext:
    """Sessions, credentials and clients for one crawl (thread-safe)."""

    def __init__(self, settings: AwsSettings, *, day: str) -> None:
        self.settings = settings
        self.counter = CallCounter()
        try:
            self.base = botocore.session.Session(profile=settings.profile)
            self.base.get_scoped_config()
        except botocore.exceptions.ProfileNotFound as exc:
            raise ConfigError(f"AWS profile not found: {settings.profile}", field="--profile") from exc
        self.loader = self.base.get_component("data_loader")
        self.config = Config(
            retries={"mode": settings.retry_mode, "max_attempts": settings.max_attempts},
            connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
            max_pool_connections=max(10, settings.max_pool_connections),
            user_agent_extra="cicd-audit",
        )
        self.session_name = f"{settings.session_name}-{day}"[:64]
        self._lock = threading.Lock()
        self._sessions: dict[str, botocore.session.Session] = {}
        self._credentials: dict[str, Credentials] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}

    # ---- clients ---------------------------------------------------------------------------

    def _make(self, session: botocore.session.Session, service: str, region: str, **kwargs: Any) -> Any:
        client = session.create_client(service, region_name=region, endpoint_url=self.settings.endpoint_url,
                                       config=self.config, **kwargs)
        event = f"needs-retry.{client.meta.service_model.service_id.hyphenize()}"
        client.meta.events.register_first(event, _no_retry_when_not_implemented)
        return install(client, self.counter)

    def base_client(self, service: str, region: str | None = None) -> Any:
        """A client with the base credentials (sts, organizations discovery)."""
        key = ("base", region or self.settings.home_region, service)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._make(self.base, service, key[1])
            return self._clients[key]

    def client(self, target: Target, region: str, service: str) -> Any:
        """The cached client for (account, region, service); 'global' means the home region."""
        real_region = self.settings.home_region if region == GLOBAL else region
        key = (target.account_id, real_region, service)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                session = self._account_session(target)
                client = self._clients[key] = self._make(session, service, real_region)
            return client

    # ---- credentials -----------------------------------------------------------------------

    def _account_session(self, target: Target) -> botocore.session.Session:
        session = self._sessions.get(target.account_id)
        if session is None:
            session = botocore.session.Session()
            session.register_component("data_loader", self.loader)
            creds = self._credentials_locked(target)
            session.get_component("credential_provider").insert_before("env", _AssumedRole(creds))
            self._sessions[target.account_id] = session
        return session

    def _credentials_locked(self, target: Target) -> Credentials:
        creds = self._credentials.get(target.account_id)
        if creds is None:
            source = self.base.get_credentials()
            if source is None:
                raise botocore.exceptions.NoCredentialsError()
            extra: dict[str, Any] = {"RoleSessionName": self.session_name}
            if target.external_id:
                extra["ExternalId"] = target.external_id

            def sts_client(service: str, **kwargs: Any) -> Any:
                return self._make(self.base, service, self.settings.home_region, **kwargs)

            fetcher = AssumeRoleCredentialFetcher(sts_client, source, target.role_arn, extra_args=extra)
            creds = DeferredRefreshableCredentials(fetcher.fetch_credentials, "assume-role")
            self._credentials[target.account_id] = creds
        return creds

    def assume(self, target: Target) -> None:
        """AssumeRole now (not lazily on the first call), so a refused role fails the account once."""
        with self._lock:
            creds = self._credentials_locked(target)
        creds.get_frozen_credentials()

    def forget(self, account_id: str) -> None:
        """Drop an account's clients and credentials once its crawl is done (memory stays flat)."""
        with self._lock:
            self._sessions.pop(account_id, None)
            self._credentials.pop(account_id, None)
            for key in [k for k in self._clients if k[0] == account_id]:
                del self._clients[key]

    # ---- regions ---------------------------------------------------------------------------

    def enabled_regions(self, target: Target) -> list[str]:
        """Regions enabled for the account: opt-in-not-required or opted-in (filtered here, since
        some endpoints ignore DescribeRegions' filter)."""
        ec2 = self.client(target, self.settings.home_region, "ec2")
        answer = ec2.describe_regions(AllRegions=True)
        ok = {"opt-in-not-required", "opted-in"}
        return sorted(r["RegionName"] for r in answer["Regions"] if r.get("OptInStatus", "opt-in-not-required") in ok)


_contexts: dict[tuple[AwsSettings, str], AwsContext] = {}
_contexts_lock = threading.Lock()


def context_for(settings: AwsSettings, day: str) -> AwsContext:
    """The process-wide AwsContext for these settings (tasks shipped to other processes rebuild it)."""
    with _contexts_lock:
        ctx = _contexts.get((settings, day))
        if ctx is None:
            ctx = _contexts[(settings, day)] = AwsContext(settings, day=day)
        return ctx


def drop_context(settings: AwsSettings, day: str) -> None:
    with _contexts_lock:
        _contexts.pop((settings, day), None)
