"""The synthetic client fleet: moto on 127.0.0.1, seeded, with configs and git repos beside it.

    with start_fleet(clients=4, out=tmp) as fleet:
        crawl(load_accounts(fleet.accounts_file), out=tmp / "inventory")
        fleet.expected[account_id]["pipelines"]   # rows the crawl must find

moto keeps its state in process-wide backends, so one process serves one fleet at a time;
starting a fleet resets moto's state.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit.demo import backend_fixes, cfn_types, connections, moto_patches
from audit.demo.configs import copy_catalog, write_accounts, write_repos, write_surveys
from audit.demo.gitrepos import generate_repos
from audit.demo.history import seed_history
from audit.demo.inject import FaultSpec, InjectStats, parse_faults
from audit.demo.model import FleetModel, build_model
from audit.demo.populate import seed_fleet
from audit.demo.releases import RepoPlan, plan_releases
from audit.demo.seed import GLOBAL, Seeded
from audit.demo.server import Faults, FleetServer
from audit.errors import ConfigError
from audit.logs import console
from audit.names import REGION

log = logging.getLogger(__name__)

# Every crawl table the fleet accounts for (0 when it seeds none of that kind).
FLEET_TABLES = (
    "pipelines", "pipeline_actions", "pipeline_executions", "pipeline_event_rules", "codecommit_repositories",
    "codebuild_projects",
    "codebuild_builds",
    "codedeploy_applications", "codedeploy_groups", "codedeploy_deployments", "stacks", "stack_resources",
    "stacksets", "ecs_clusters", "ecs_services", "eks_clusters", "lambda_functions", "beanstalk_applications",
    "beanstalk_environments", "ecr_repositories", "s3_buckets", "cloudfront_distributions", "apigateway_apis",
    "iam_roles", "iam_oidc_providers", "iam_users", "autoscaling_groups", "launch_templates",
    "cloudwatch_alarms", "connections",
)
# Which tables a denied botocore service hides.
SERVICE_TABLES = {
    "lambda": ("lambda_functions",), "ecs": ("ecs_clusters", "ecs_services"),
    "codebuild": ("codebuild_projects", "codebuild_builds"),
}

_running_lock = threading.Lock()
_running: list[Fleet] = []


@dataclass
class Fleet:
    """A running fleet: where it serves, what it wrote, and what a crawl of it must find."""

    out: Path
    endpoint_url: str
    accounts_file: Path
    repos_file: Path | None
    survey_dir: Path
    catalog_file: Path | None
    model: FleetModel
    expected: dict[str, dict[str, int]]
    findings: dict[str, list[tuple[str, str, str | None]]]  # per account: (kind, resource name, detail)
    secrets: list[str]
    faults: dict[str, Any]
    repo_traits_expected: dict[str, dict[str, list[str]]]
    releases: dict[str, RepoPlan] = field(default_factory=dict)  # per repository: commits, tags, shas
    now: datetime | None = None  # the end of the history window
    timings: dict[str, float] = field(default_factory=dict)
    server: FleetServer | None = field(default=None, repr=False)

    @property
    def account_ids(self) -> list[str]:
        return [c.account_id for c in self.model.clients]

    @property
    def env(self) -> dict[str, str]:
        """Environment for boto3/the CLI talking to this fleet (dummy base credentials)."""
        return {"AWS_ACCESS_KEY_ID": "fleet-base", "AWS_SECRET_ACCESS_KEY": "fleet-base",
                "AWS_DEFAULT_REGION": self.model.regions[0], "AWS_ENDPOINT_URL": self.endpoint_url}

    def set_latency(self, latency_ms: float) -> None:
        if self.server is not None:
            self.server.set_latency(latency_ms)

    @contextmanager
    def inject(self, spec: FaultSpec | str) -> Iterator[InjectStats]:
        """Inject faults (a FaultSpec or its text, see audit.demo.inject) until the block ends."""
        if self.server is None:
            raise RuntimeError("the fleet is stopped")
        previous = self.server.inject
        self.server.set_inject(parse_faults(spec) if isinstance(spec, str) else spec)
        try:
            yield self.server.inject_stats
        finally:
            if self.server is not None:
                self.server.set_inject(previous)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        with _running_lock:
            if self in _running:
                _running.remove(self)

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _reset_accounts(account_ids: list[str]) -> None:
    """Forget whatever an earlier fleet left in these accounts (moto's state is process-wide).

    Only the fleet's own accounts are reset, so other moto users in the process (tests with their
    own accounts) keep their state.
    """
    from moto.core.base_backend import BackendDict
    from moto.s3.models import s3_backends

    wanted = set(account_ids)
    connections.reset(wanted)
    for backend_dict in list(BackendDict._instances):
        for acct in wanted & set(backend_dict.keys()):
            backend_dict[acct].reset()
    for bucket, (_, acct) in list(s3_backends.bucket_accounts.items()):
        if acct in wanted:
            s3_backends.bucket_accounts.pop(bucket, None)


def _hidden_tables(model: FleetModel) -> dict[tuple[str, str], set[str]]:
    """(account, region) -> the tables its denied services hide (several services may be denied)."""
    hidden: dict[tuple[str, str], set[str]] = {}
    for acct, region, service in model.denied:
        hidden.setdefault((acct, region), set()).update(SERVICE_TABLES.get(service, ()))
    return hidden


def expected_counts(model: FleetModel, seeded: dict[str, Seeded]) -> dict[str, dict[str, int]]:
    """Rows per crawl table per account, from what was seeded, with the faults applied."""
    hidden = _hidden_tables(model)
    out: dict[str, dict[str, int]] = {}
    for acct, s in seeded.items():
        counts = dict.fromkeys(FLEET_TABLES, 0)
        if acct not in model.assume_role_denied:
            for (table, region), n in s.counts.items():
                if region != GLOBAL and table in hidden.get((acct, region), ()):
                    continue
                counts[table] = counts.get(table, 0) + n
        out[acct] = counts
    return out


def expected_findings(model: FleetModel, seeded: dict[str, Seeded]) -> dict[str, list[tuple[str, str, str | None]]]:
    """Per account, the findings a complete crawl must report: (kind, resource name, detail).

    `detail` is the variable name for plaintext secrets, None where the wording is the crawler's
    (e.g. the age of a long-lived key). Hidden accounts and denied regions expect none.
    """
    hidden = _hidden_tables(model)
    out: dict[str, list[tuple[str, str, str | None]]] = {}
    for acct, s in seeded.items():
        rows = [] if acct in model.assume_role_denied else [
            (kind, resource, detail) for kind, table, region, resource, detail in s.findings
            if table not in hidden.get((acct, region), ())]
        out[acct] = sorted(rows, key=lambda r: (r[0], r[1], r[2] or ""))
    return out


def start_fleet(clients: int = 24, *, seed: int = 42, regions: tuple[str, ...] | list[str] = ("eu-west-1", "us-east-1"),
                latency_ms: float = 0, out: Path, port: int = 0, repos: bool = True,
                history_weeks: int = 12, workers: int = 8) -> Fleet:
    """Start moto on 127.0.0.1, seed the fleet, write its configs (and repos) to `out`."""
    bad = [r for r in regions if not REGION.match(r)]
    if bad:
        raise ValueError(f"not an AWS region name: {', '.join(bad)} (expected e.g. eu-west-1)")
    with _running_lock:
        if _running:
            raise RuntimeError(f"a fleet is already running in this process at {_running[0].endpoint_url}; "
                               "moto's state is process-wide: stop it first")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    model = build_model(clients, seed=seed, regions=tuple(regions))
    now = datetime.now(UTC)
    plans = plan_releases(model, now, max(history_weeks, 1))
    repo_result = None
    repo_thread = None
    if repos:
        box: dict[str, Any] = {}

        def _gen() -> None:
            t = time.perf_counter()
            try:
                box["result"] = generate_repos(out / "repos", model, plans)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                box["error"] = exc
            timings["repos"] = time.perf_counter() - t

        repo_thread = threading.Thread(target=_gen, name="fleet-repos", daemon=True)
        repo_thread.start()
    moto_patches.install()
    cfn_types.install()  # the onboarding kit deploys into fleet accounts as into AWS
    _reset_accounts([c.account_id for c in model.clients])
    server = FleetServer(port=port).start()
    try:
        t = time.perf_counter()
        seeded = seed_fleet(server.url, model, workers=workers)
        timings["seed"] = time.perf_counter() - t
        if repo_thread is not None:
            repo_thread.join()
            if "error" in box:
                raise box["error"]
            repo_result = box["result"]
        if history_weeks > 0:
            t = time.perf_counter()
            seed_history(model, seeded, weeks=history_weeks, plans=plans, now=now)
            timings["history"] = time.perf_counter() - t
        backend_fixes.age_accounts(model, now)
        faults = Faults(assume_role_denied=model.assume_role_denied, denied=model.denied)
        server.set_faults(faults)
        server.set_latency(latency_ms)
        accounts_file = write_accounts(out, model, server.url)
        repos_file = write_repos(out, model) if repo_result is not None else None
        survey_dir = write_surveys(out)
        catalog = copy_catalog(out)
    except BaseException:
        server.stop()
        raise
    timings["total"] = time.perf_counter() - t0
    secrets = sorted({v for s in seeded.values() for v in s.secrets})
    fault_info = {**faults.as_dict(), "hidden_tables": {s: list(SERVICE_TABLES.get(s, ())) for _, _, s in model.denied}}
    fleet = Fleet(out=out, endpoint_url=server.url, accounts_file=accounts_file, repos_file=repos_file,
                  survey_dir=survey_dir, catalog_file=catalog, model=model,
                  expected=expected_counts(model, seeded), findings=expected_findings(model, seeded),
                  secrets=secrets, faults=fault_info,
                  repo_traits_expected=repo_result.traits if repo_result else {}, timings=timings, server=server,
                  releases=plans if history_weeks > 0 else {}, now=now)
    with _running_lock:
        _running.append(fleet)
    log.info("fleet of %d clients seeded in %.1fs", clients, timings["total"])
    return fleet


def serve_command(clients: int = 24, regions: list[str] | None = None, port: int = 5000, out: Path = Path("fleet"),
                  seed: int = 42, latency_ms: int = 0, no_repos: bool = False, faults: str | None = None) -> None:
    """`cicd-audit fleet serve`: start, print how to crawl it, serve until Ctrl-C."""
    regions = regions or ["eu-west-1", "us-east-1"]
    inject = parse_faults(faults) if faults else None  # a bad spec exits 2 before anything starts
    try:
        fleet = start_fleet(clients, seed=seed, regions=regions, latency_ms=latency_ms, out=Path(out), port=port,
                            repos=not no_repos)
    except OSError as exc:
        raise ConfigError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}", field="--port") from None
    except ValueError as exc:
        raise ConfigError(str(exc), field="--regions" if "region" in str(exc) else None) from None
    if inject is not None:
        fleet.server.set_inject(inject)  # type: ignore[union-attr]
    n_ok = clients - len(fleet.model.assume_role_denied)
    console.print(f"[bold]fleet[/bold]: {clients} clients ({n_ok} crawlable), regions {', '.join(regions)}, "
                  f"seeded in {fleet.timings['total']:.1f}s (seed {fleet.timings.get('seed', 0):.1f}s, "
                  f"history {fleet.timings.get('history', 0):.1f}s, repos {fleet.timings.get('repos', 0):.1f}s)")
    print(f"endpoint: {fleet.endpoint_url}")
    if inject is not None:
        print(f"faults: {inject}")
    print("# in another shell:")
    for key, value in fleet.env.items():
        if key != "AWS_ENDPOINT_URL":
            print(f"export {key}={value}")
    print(f"cicd-audit crawl --accounts {fleet.accounts_file} --endpoint-url {fleet.endpoint_url} "
          f"--out {fleet.out / 'inventory'}")
    if fleet.repos_file is not None:
        print(f"cicd-audit scan --repos {fleet.repos_file} --out {fleet.out / 'inventory'}")
    if fleet.catalog_file is not None:
        print(f"cicd-audit analyze --snapshot {fleet.out / 'inventory'} --catalog {fleet.catalog_file}")
        if fleet.repos_file is not None:
            print(f"# or all of it: cicd-audit weekly --config {fleet.out} --out {fleet.out / 'reports'} "
                  f"--endpoint-url {fleet.endpoint_url}")
    print("serving; Ctrl-C to stop", flush=True)
    stop = threading.Event()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C and SIGTERM both stop the fleet, even when started in the background with SIGINT ignored
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        fleet.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("fleet stopped", flush=True)
