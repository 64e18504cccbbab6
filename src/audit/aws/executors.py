"""Where the crawl's tasks run: `--executor threads | processes | dask://HOST:PORT`.

    threads           a thread pool of `workers` in this process (the default)
    processes         a local dask.distributed cluster on 127.0.0.1: one worker process per core,
                      `workers` threads spread over them, so client CPU (signing, parsing) uses
                      every core; its dashboard is off
    dask://HOST:PORT  the scheduler of an existing dask.distributed cluster

The tasks (`audit.aws.tasks`) are plain picklable functions that return plain data, and each worker
process builds its own sessions and clients from the picklable `AwsSettings` (`context_for`), so
any `concurrent.futures.Executor` runs them; dask's `Client.get_executor()` is one. Workers of a
remote cluster use their own base credentials (botocore's chain on the worker host): nothing that
signs is ever shipped. dask is optional (`pip install 'cicd-audit[dask]'`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from audit.aws import crawl_gc
from audit.errors import ConfigError

FIELD = "--executor"
KINDS = "threads, processes or dask://HOST:PORT"


def check_executor(spec: str | None) -> str:
    """The executor spec, normalised; ConfigError (exit 2) names what is accepted."""
    spec = (spec or "threads").strip()
    if spec in ("threads", "processes"):
        return spec
    if spec.startswith("dask://"):
        parts = urlsplit(spec)
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.hostname and port and not parts.path.strip("/") and not parts.query:
            return spec
        raise ConfigError(f"expected dask://HOST:PORT (the scheduler's address), got {spec!r}", field=FIELD)
    raise ConfigError(f"unknown executor {spec!r}: expected {KINDS}", field=FIELD)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ConfigError("this executor needs dask.distributed: pip install 'cicd-audit[dask]'",
                          field=FIELD) from None
    return distributed


@contextmanager
def open_executor(spec: str | None, workers: int) -> Iterator[Executor]:
    """The Executor `spec` names, with `workers` tasks in flight; closed (and a local cluster
    stopped) on exit."""
    spec = check_executor(spec)
    if spec == "threads":
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crawl")
        try:
            yield pool
        finally:  # after Ctrl-C, queued tasks are dropped instead of run
            pool.shutdown(wait=True, cancel_futures=True)
        return
    distributed = _distributed()
    if spec == "processes":
        import dask

        processes = max(1, min(workers, os.cpu_count() or 1))
        # no dashboard, so no statistical profiler either: it samples every worker thread's stack
        # every 10 ms for the dashboard's profile page (the workers get this config when spawned)
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = distributed.LocalCluster(
                n_workers=processes, threads_per_worker=math.ceil(workers / processes), processes=True,
                host="127.0.0.1", dashboard_address=None, scheduler_port=0, worker_dashboard_address=None,
                silence_logs=True)
        try:
            with distributed.Client(cluster) as client:
                client.run(_prepare_worker)
                yield from _dask_executor(client)
        finally:
            cluster.close()
        return
    address = "tcp://" + spec.removeprefix("dask://")
    try:
        client = distributed.Client(address, timeout=10)
    except OSError as exc:
        raise ConfigError(f"cannot reach the dask scheduler at {spec}: {exc}", field=FIELD) from None
    with client:
        yield from _dask_executor(client)


def _prepare_worker() -> None:
    """In each worker process of our local cluster, before its first task: import what the tasks
    run, then tune the garbage collector as the crawl's own process is (audit.aws.crawl_gc; the
    workers end with the crawl). A remote cluster's workers are not ours to tune."""
    import audit.aws.tasks  # noqa: F401  (imported before the freeze: the modules stay out of full collections)

    crawl_gc.tune()


def _dask_executor(client: Any) -> Iterator[Executor]:
    """dask's concurrent.futures executor; tasks are not pure (each runs, even with equal arguments).
    On exit every future is done, unless the crawl was interrupted: then the rest are cancelled."""
    executor = client.get_executor(pure=False)
    try:
        yield executor
    finally:
        executor.shutdown(wait=False)
