"""Sessions for the crawl: base credentials, AssumeRole per account, one shared model loader.

- Base credentials come from botocore's standard chain (env, `--profile`, SSO profiles, ...).
- Each client account gets `DeferredRefreshableCredentials` fed by botocore's own
  `AssumeRoleCredentialFetcher` (ExternalId, session name `cicd-audit-<date>`): assumed once,
  cached in memory, refreshed before expiry, so crawls longer than a role session keep working.
- ONE botocore loader for everything, so service models are read once per process (a fresh boto3
  Session per account costs ~23 ms per client), and one account session whose clients sign with the
  credentials of the account the calling thread is bound to (every crawl task runs in one thread for
  one account).
- ONE client per (region, service) serves every account, and the retry state is per account
  (`_AccountRetries`): botocore keeps the retry quota (standard) and the adaptive rate limiter
  inside each client, and AWS limits are per account and region, so a client shared by accounts
  gets, for each account, its own set of botocore's own retry handlers: a throttled account backs
  off and drains only its own quota, never another account's. Clients were per account before:
  ~40 per account at ~3-7 ms of CPU each; now a process builds one per region and service it
  calls (44 in bench/crawl.py's 40-account crawl). An account's credentials and retry state are
  dropped when its crawl is done, and at most `2 x workers` accounts keep retry state in any
  process (memory stays flat in thread and process pools alike).
- The clients of one of our sessions share, per service, botocore's `ServiceModel` and generated
  client class (`_share_models`): botocore builds both anew for every client (a class with a
  method per operation, and a model whose shapes are parsed again on each client's first call of
  each operation). What must stay per client (the event emitter, the endpoint, the signer) does.
- Every client gets the read-only guard and the call counter (audit.aws.guard).
"""

from __future__ import annotations

import functools
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import botocore.session
import botocore.utils
from botocore.client import ClientCreator
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    CredentialProvider,
    Credentials,
    DeferredRefreshableCredentials,
)
from dateutil.tz import tzutc

from audit.aws.botodata import model_session, once_loader
from audit.aws.failures import AWS_ERRORS, classify, is_not_implemented_response, message_of
from audit.aws.guard import CallCounter, install
from audit.errors import ConfigError, PreflightError

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
    partition: str = "aws"  # audit.aws.partitions.crawl_partition: follows the configured regions
    home_region: str = DEFAULT_REGION  # where global calls go: follows the partition


@dataclass(frozen=True)
class Target:
    """One client account to get into."""

    account_id: str
    client: str
    role_arn: str
    external_id: str | None = None


class _ThreadAccountCredentials(Credentials):
    """The credentials of whichever account the calling thread acts for (see AwsContext.acting_as).

    botocore's signer asks a client's credentials for a frozen copy at every request, so the clients
    of one session serve every account: each crawl task runs in one thread bound to one account. A
    thread bound to no account gets an error, never another account's credentials.
    """

    method = "cicd-audit-assume-role"

    def __init__(self, owner: AwsContext) -> None:  # no super().__init__: nothing static to hold
        self._owner = owner

    def _current(self) -> Credentials:
        return self._owner._bound_credentials()

    def get_frozen_credentials(self) -> Any:
        return self._current().get_frozen_credentials()

    @property
    def access_key(self) -> str:
        return self._current().access_key

    @property
    def secret_key(self) -> str:
        return self._current().secret_key

    @property
    def token(self) -> str | None:
        return self._current().token


class _Provided(CredentialProvider):
    """Hands the shared account session its thread-bound credentials."""

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


# The event emitters of our sessions -> their shared ServiceModels and client classes by service.
_shared: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, str | None], Any]] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()
_botocore_load_model = ClientCreator._load_service_model
_botocore_create_class = ClientCreator._create_client_class


def _shared_load_model(creator: ClientCreator, service_name: str, api_version: str | None = None) -> Any:
    return _shared_get(creator, ("model", service_name, api_version),
                       lambda: _botocore_load_model(creator, service_name, api_version))


def _shared_create_class(creator: ClientCreator, service_name: str, service_model: Any) -> Any:
    return _shared_get(creator, ("class", service_name, service_model.api_version),
                       lambda: _botocore_create_class(creator, service_name, service_model))


def _shared_get(creator: ClientCreator, key: tuple[str, str, str | None], build: Any) -> Any:
    """From the cache of the creator's session if it is one of ours; botocore's own way otherwise."""
    cache = _shared.get(creator._event_emitter)
    if cache is None:
        return build()
    with _shared_lock:
        if key not in cache:
            cache[key] = build()
        return cache[key]


def _utc_now() -> datetime:
    return datetime.now(tzutc())


def parse_timestamp(value: Any) -> datetime:
    """botocore's timestamp parser with a fast path for ISO 8601 in UTC, what query and rest-xml
    services (CloudFormation, IAM, S3, CloudFront, Auto Scaling) answer: `datetime.fromisoformat`
    (Python 3.11 reads `Z` and fractions) instead of dateutil's general parser, which took ~15% of
    a realistic account's client CPU (cProfile of bench/crawl.py --profile realistic). The value is
    botocore's: the same instant with dateutil's `tzutc()`. Epoch seconds, what JSON services
    (CodePipeline, CodeBuild, CodeDeploy, ECR, ECS) answer, become the same instant in UTC too
    (botocore builds a local time zone for each: ~10 instead of ~0.5 us). Anything else (RFC 822
    dates, other offsets) goes to botocore's own parser."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tzutc())
    if isinstance(value, str) and len(value) >= 20 and value[10:11] == "T":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.utcoffset() == timedelta(0):
            return parsed.replace(tzinfo=tzutc())
    return botocore.utils.parse_timestamp(value)


def _model_loader(base: botocore.session.Session) -> Any:
    """The loader of botodata's model session (collectors, limits and partitions read models and
    endpoint data through it, from import on) when `base` would search the same data path, so a
    process parses each service's model and endpoint rules once, not once for the model session
    and again for the crawl's clients (the ec2 model alone is ~0.1-0.25 s of CPU); a loader of its
    own when its profile or AWS_DATA_PATH names another path. Both read each file once, whichever
    thread asks first (botodata.OnceLoader)."""
    shared = model_session().get_component("data_loader")
    data_path = base.get_config_variable("data_path")
    if data_path == shared.data_path:
        return shared
    return once_loader(data_path)


def _share_models(session: botocore.session.Session) -> None:
    """Clients of `session` share one ServiceModel and client class per service (see module doc).

    Both depend only on the service's model and the session's `creating-client-class` handlers;
    other botocore sessions in the process (boto3's, moto's) keep botocore's behaviour."""
    ClientCreator._load_service_model = _shared_load_model  # type: ignore[method-assign]
    ClientCreator._create_client_class = _shared_create_class  # type: ignore[method-assign]
    _shared[session.get_component("event_emitter")] = {}


_botocore_register_retries = ClientCreator._register_retries
_retry_owners: weakref.WeakKeyDictionary[Any, AwsContext] = weakref.WeakKeyDictionary()


_Registration = tuple[str, str, Callable[..., Any], str | None, bool]  # how, event, handler, unique id, uses count


class _Recorder:
    """An event emitter that only notes what is registered on it, in order (for _AccountRetries)."""

    def __init__(self) -> None:
        self.registered: list[_Registration] = []

    def _note(self, how: str, event_name: str, handler: Callable[..., Any], unique_id: str | None = None,
              unique_id_uses_count: bool = False) -> None:
        self.registered.append((how, event_name, handler, unique_id, unique_id_uses_count))

    register = functools.partialmethod(_note, "register")
    register_first = functools.partialmethod(_note, "register_first")
    register_last = functools.partialmethod(_note, "register_last")


class _AccountRetries:
    """botocore's retry handlers of one client, one set per account (see the module doc).

    botocore wires retries in one place, `ClientCreator._register_retries`: standard mode's
    RetryHandler with its quota, adaptive mode's ClientRateLimiter, registered on the client's
    events. Here that same botocore code runs once per account against a `_Recorder`, and the
    client gets, in botocore's order and under botocore's unique ids, one dispatcher per handler
    that calls the handler of the account the calling thread acts for."""

    def __init__(self, creator: ClientCreator, client: Any, account_of: Callable[[], str | None]) -> None:
        self._creator, self._client, self._account_of = creator, client, account_of
        self._lock = threading.Lock()
        self._sets: dict[str | None, list[Callable[..., Any]]] = {}
        registered = self._record()
        self._sets[account_of()] = [r[2] for r in registered]
        for i, (how, event_name, _, unique_id, uses_count) in enumerate(registered):
            getattr(client.meta.events, how)(event_name, functools.partial(self._call, i), unique_id=unique_id,
                                             unique_id_uses_count=uses_count)

    def _record(self) -> list[_Registration]:
        recorder = _Recorder()
        meta = self._client.meta
        stand_in = SimpleNamespace(meta=SimpleNamespace(service_model=meta.service_model, config=meta.config,
                                                        events=recorder))
        _botocore_register_retries(self._creator, stand_in)
        return recorder.registered

    def handlers(self, account: str | None) -> list[Callable[..., Any]]:
        """The account's retry handlers (made on its first call through this client)."""
        found = self._sets.get(account)
        if found is None:
            with self._lock:
                found = self._sets.get(account)
                if found is None:
                    found = self._sets[account] = [r[2] for r in self._record()]
        return found

    def _call(self, index: int, **kwargs: Any) -> Any:
        return self.handlers(self._account_of())[index](**kwargs)

    def drop(self, account: str) -> None:
        self._sets.pop(account, None)


def _per_account_retries(creator: ClientCreator, client: Any) -> None:
    """Retries per account for the clients of an AwsContext's account session; botocore's own way
    for every other session (the base session's clients act for one identity only)."""
    owner = _retry_owners.get(creator._event_emitter)
    if owner is None:
        _botocore_register_retries(creator, client)
        return
    retries = _AccountRetries(creator, client, owner._bound_account)
    with owner._lock:
        owner._retries.append(retries)


def _retries_per_account(owner: AwsContext) -> None:
    """The clients of `owner`'s account session get botocore's retry handlers per account."""
    ClientCreator._register_retries = _per_account_retries  # type: ignore[method-assign]
    _retry_owners[owner.accounts.get_component("event_emitter")] = owner


class AwsContext:
    """Sessions, credentials and clients for one crawl (thread-safe)."""

    def __init__(self, settings: AwsSettings, *, day: str) -> None:
        self.settings = settings
        self.counter = CallCounter()
        # botocore reads AWS_PROFILE itself; we only name it in messages
        self.profile = settings.profile or os.environ.get("AWS_PROFILE") or None
        self.profile_source = "--profile" if settings.profile else "AWS_PROFILE"
        try:
            self.base = botocore.session.Session(profile=settings.profile)
            self.base.get_scoped_config()
            # AssumeRole at the home region's STS endpoint, whatever the user's config says: with the
            # legacy setting, tokens from the global endpoint fail in opt-in regions
            self.base.set_config_variable("sts_regional_endpoints", "regional")
        except botocore.exceptions.ProfileNotFound as exc:
            known = ", ".join(sorted(self.base.available_profiles)) or "none"
            raise ConfigError(f"AWS profile not found: {self.profile} (profiles in the AWS config files: {known}); "
                              "run `aws configure sso` or `aws configure --profile NAME` to create it",
                              field=self.profile_source) from exc
        self.loader = _model_loader(self.base)
        self.base.register_component("data_loader", self.loader)
        self.config = Config(
            retries={"mode": settings.retry_mode, "max_attempts": settings.max_attempts},
            connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
            max_pool_connections=max(10, settings.max_pool_connections),
            user_agent_extra="cicd-audit",
        )
        self.session_name = f"{settings.session_name}-{day}"[:64]
        self._lock = threading.RLock()
        self._local = threading.local()
        self._credentials: dict[str, Credentials] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._retries: list[_AccountRetries] = []  # of the account session's clients
        self._recent: OrderedDict[str, None] = OrderedDict()  # accounts holding retry state, oldest first
        self._max_accounts = 2 * max(2, settings.max_pool_connections)
        # One session for every client account: it shares the base session's loader (models are
        # read once) and signs with the credentials of the account the calling thread acts for.
        self.accounts = botocore.session.Session()
        self.accounts.set_config_variable("sts_regional_endpoints", "regional")
        self.accounts.register_component("data_loader", self.loader)
        self.accounts.get_component("credential_provider").insert_before("env", _Provided(
            _ThreadAccountCredentials(self)))
        _share_models(self.base)
        _share_models(self.accounts)
        _retries_per_account(self)
        for session in (self.base, self.accounts):
            session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)

    # ---- clients ---------------------------------------------------------------------------

    def _make(self, session: botocore.session.Session, service: str, region: str,
              config: Config | None = None) -> Any:
        client = session.create_client(service, region_name=region, endpoint_url=self.settings.endpoint_url,
                                       config=config or self.config)
        event = f"needs-retry.{client.meta.service_model.service_id.hyphenize()}"
        client.meta.events.register_first(event, _no_retry_when_not_implemented)
        return install(client, self.counter)

    def _cached(self, key: tuple[str, str, str], session: botocore.session.Session) -> Any:
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._make(session, key[2], key[1])
            return client

    def base_client(self, service: str, region: str | None = None) -> Any:
        """A client with the base credentials (sts, organizations discovery)."""
        return self._cached(("base", region or self.settings.home_region, service), self.base)

    def client(self, target: Target, region: str, service: str) -> Any:
        """The client for (region, service) ('global' = home region) that acts for `target`: one client
        serves every account; fetching it binds the calling thread to `target` (a task only ever
        talks to one account), whose credentials and retry state the client's calls then use."""
        self.bind(target)
        real_region = self.settings.home_region if region == GLOBAL else region
        with self._lock:
            self._recent[target.account_id] = None
            self._recent.move_to_end(target.account_id)
            while len(self._recent) > self._max_accounts:  # a finished account whose forget() ran elsewhere
                self._drop_retries(next(iter(self._recent)))
            return self._cached(("accounts", real_region, service), self.accounts)

    def _drop_retries(self, account_id: str) -> None:
        """Forget an account's retry state in every client."""
        with self._lock:
            self._recent.pop(account_id, None)
            for retries in self._retries:
                retries.drop(account_id)

    # ---- credentials -----------------------------------------------------------------------

    def bind(self, target: Target) -> None:
        """From now on, calls made by this thread through account clients act for `target`."""
        self._credentials_for(target)
        self._local.account_id = target.account_id

    @contextmanager
    def acting_as(self, target: Target) -> Iterator[None]:
        previous = getattr(self._local, "account_id", None)
        self.bind(target)
        try:
            yield
        finally:
            self._local.account_id = previous

    def _bound_account(self) -> str | None:
        return getattr(self._local, "account_id", None)

    def _bound_credentials(self) -> Credentials:
        account = self._bound_account()
        creds = self._credentials.get(account) if account else None
        if creds is None:
            raise botocore.exceptions.NoCredentialsError()
        return creds

    def _credentials_for(self, target: Target) -> Credentials:
        with self._lock:
            creds = self._credentials.get(target.account_id)
            if creds is None:
                source = self.base.get_credentials()
                if source is None:
                    raise botocore.exceptions.NoCredentialsError()
                extra: dict[str, Any] = {"RoleSessionName": self.session_name}
                if target.external_id:
                    extra["ExternalId"] = target.external_id

                def sts_client(service: str, **_: Any) -> Any:  # base credentials, guarded and counted
                    return self.base_client(service)

                fetcher = AssumeRoleCredentialFetcher(sts_client, source, target.role_arn, extra_args=extra)
                # botocore asks the clock at every signed request whether to refresh; its default clock
                # builds a local time zone each time (~12 us), UTC is the same instant for the expiry
                creds = DeferredRefreshableCredentials(fetcher.fetch_credentials, "assume-role",
                                                       time_fetcher=_utc_now)
                self._credentials[target.account_id] = creds
            return creds

    def assume(self, target: Target) -> None:
        """AssumeRole now (not lazily on the first call), so a refused role fails the account once."""
        self._credentials_for(target).get_frozen_credentials()

    def forget(self, account_id: str) -> None:
        """Drop an account's credentials and retry state once its crawl is done (memory stays flat)."""
        with self._lock:
            self._credentials.pop(account_id, None)
            self._drop_retries(account_id)

    # ---- preflight -------------------------------------------------------------------------

    def _how_to_provide(self) -> str:
        if self.profile:
            return (f"run `aws sso login --profile {self.profile}` (SSO) or renew the keys of profile "
                    f"{self.profile} (from {self.profile_source})")
        return ("set AWS_PROFILE or pass --profile (after `aws sso login --profile NAME` for SSO), "
                "or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")

    def preflight(self) -> str:
        """sts GetCallerIdentity with the base credentials, through the guard, before anything is
        written; returns the caller's ARN. PreflightError (exit 2) says what is missing and how to
        provide it: a crawl without working credentials or endpoint must not look like 24 failed accounts."""
        named = f" for profile {self.profile}" if self.profile else ""
        try:
            if self.base.get_credentials() is None:
                raise PreflightError(f"no AWS credentials found{named}: {self._how_to_provide()}")
            # few retries: a dead endpoint should fail in seconds, not after the crawl's backoff
            sts = self._make(self.base, "sts", self.settings.home_region,
                             self.config.merge(Config(retries={"mode": "standard", "max_attempts": 2})))
            return str(sts.get_caller_identity()["Arn"])
        except AWS_ERRORS as exc:
            klass, code = classify(exc)
            if klass in ("unreachable", "timeout"):
                where = self.settings.endpoint_url or f"the AWS endpoint of {self.settings.home_region}"
                raise PreflightError(f"cannot reach {where} ({code}): check --endpoint-url / endpoint_url in "
                                     "accounts.yaml and the network") from None
            if klass in ("credentials", "region-disabled", "access-denied"):
                raise PreflightError(f"the base AWS credentials{named} were rejected ({code}): "
                                     f"{self._how_to_provide()}") from None
            raise PreflightError(f"sts GetCallerIdentity failed{named} ({code}): {message_of(exc, klass)}") from None

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


def forget_account(settings: AwsSettings, day: str, account_id: str) -> None:
    """Drop a finished account's credentials from this process's context, if there is one."""
    with _contexts_lock:
        ctx = _contexts.get((settings, day))
    if ctx is not None:
        ctx.forget(account_id)


def drop_context(settings: AwsSettings, day: str) -> None:
    with _contexts_lock:
        _contexts.pop((settings, day), None)
