"""Run the numbered notebooks with papermill, in order, in this process, and build a dated report.

All four notebooks share one kernel (the expensive part of papermill is starting a kernel and
importing pandas/plotly into it), each notebook's parameters cell re-binds every input. The
report is built in a temporary directory beside the final one and swapped into place at the end
with the snapshot store's primitives (`audit.store.atomic`: one atomic exchange, a report a killed
writer moved aside is restored, day-old leftovers are removed), so a failing notebook leaves
every earlier report untouched and a reader always finds the old or the new report; the failed run is kept in
`.failed-<date>/` for inspection and the error names the notebook, the cell and the exception.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.errors import AuditError, NotebookError
from audit.logs import console
from audit.options import KERNEL, ReportOptions
from audit.report.backlog import write_backlog
from audit.report.data import load
from audit.store.atomic import TMP_PREFIX, clean_stale, exclusive, recover, swap_in

log = logging.getLogger(__name__)

NOTEBOOKS = ("01_refresh_inventory", "02_deployment_patterns", "03_rank_work_items", "04_lead_meeting_report")
REPORT_NOTEBOOK = NOTEBOOKS[-1]
JIRA_EXPORT = "jira-export.csv"  # in the config directory: makes backlog.csv update issues (docs/backlog.md)
CELL_TIMEOUT = 1800  # seconds per cell: a hung cell fails the run instead of blocking the weekly job


@dataclass
class RunTimings:
    """Seconds spent per step (bench/weekly.py prints them)."""

    kernel_start: float = 0.0
    notebooks: dict[str, float] = field(default_factory=dict)
    export: float = 0.0
    backlog: float = 0.0


def notebooks_dir() -> Path:
    """Where the notebooks live: $CICD_AUDIT_NOTEBOOKS, else the project's notebooks/ directory."""
    env = os.environ.get("CICD_AUDIT_NOTEBOOKS")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parents[3] / "notebooks", Path.cwd() / "notebooks"]
    for path in candidates:
        if (path / f"{REPORT_NOTEBOOK}.ipynb").is_file():
            return path
    raise AuditError("cannot find the report notebooks: set CICD_AUDIT_NOTEBOOKS to the project's notebooks/ "
                     f"directory (looked in {', '.join(str(c) for c in candidates)})")


def ensure_kernel(kernel_name: str = KERNEL) -> None:
    """Make sure `kernel_name` exists; install the python3 kernelspec into this environment if missing."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
        return
    except NoSuchKernel:
        pass
    if kernel_name != KERNEL:
        raise AuditError(f"Jupyter kernel {kernel_name!r} is not installed; install it or use {KERNEL!r}")
    try:
        from ipykernel.kernelspec import install
    except ImportError as exc:
        raise AuditError("ipykernel is not installed in this environment: "
                         f"run `{sys.executable} -m pip install ipykernel`") from exc
    log.info("installing the %s kernelspec into %s", kernel_name, sys.prefix)
    install(kernel_name=kernel_name, prefix=sys.prefix)
    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel as exc:
        raise AuditError(f"could not install the {kernel_name!r} kernel: run `{sys.executable} -m ipykernel "
                         f"install --sys-prefix --name {kernel_name}`") from exc


class _Kernel:
    """One kernel for several notebooks (papermill accepts a started KernelManager as `km`)."""

    def __init__(self, kernel_name: str, cwd: Path) -> None:
        from jupyter_client.manager import KernelManager

        clients: list[Any] = []

        class _Tracking(KernelManager):  # remembers the clients nbclient opens, to close them per notebook
            def client(self, **kwargs: Any) -> Any:
                kc = super().client(**kwargs)
                clients.append(kc)
                return kc

        self.clients = clients
        # IPC sockets in a private directory: nothing listens on TCP, not even on 127.0.0.1.
        self.sockets = Path(tempfile.mkdtemp(prefix="cicd-audit-kernel-"))
        self.km = _Tracking(kernel_name=kernel_name, transport="ipc", ip=str(self.sockets / "ipc"))
        self.km.start_kernel(cwd=str(cwd))

    def close_clients(self) -> None:
        while self.clients:
            self.clients.pop().stop_channels()

    def stop(self) -> None:
        self.close_clients()
        if self.km.has_kernel:
            self.km.shutdown_kernel(now=True)
        self.km.cleanup_resources()
        shutil.rmtree(self.sockets, ignore_errors=True)


def _failed_cell(executed: Path, source: Path) -> tuple[int | None, str, str, str]:
    """The failed cell of an executed notebook: (its index in the source notebook, source, ename, evalue).

    papermill adds cells (injected parameters, an error banner), so the index is found by cell id.
    """
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    ids = [c.get("id") for c in nbformat.read(str(source), as_version=4).cells]
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                index = ids.index(cell.get("id")) if cell.get("id") in ids else None
                return index, cell.source, out.get("ename", "Error"), out.get("evalue", "")
    return None, "", "Error", ""


def run_notebooks(parameters: Mapping[str, Any], out_dir: Path, *, source_dir: Path | None = None,
                  names: Sequence[str] = NOTEBOOKS, kernel_name: str = KERNEL, shared_kernel: bool = True,
                  timings: RunTimings | None = None, progress: bool = False) -> list[Path]:
    """Execute each notebook in order into out_dir/<name>.ipynb; raise NotebookError on the first failure."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    source_dir = source_dir or notebooks_dir()
    timings = timings or RunTimings()
    ensure_kernel(kernel_name)
    out_dir.mkdir(parents=True, exist_ok=True)
    kernel = None
    if shared_kernel:
        t0 = time.perf_counter()
        kernel = _Kernel(kernel_name, out_dir)
        timings.kernel_start = time.perf_counter() - t0
    done: list[Path] = []
    try:
        for name in names:
            src, dst = source_dir / f"{name}.ipynb", out_dir / f"{name}.ipynb"
            if not src.is_file():
                raise AuditError(f"notebook {src} does not exist")
            t0 = time.perf_counter()
            extra = {"km": kernel.km} if kernel else {}
            try:
                pm.execute_notebook(str(src), str(dst), parameters=dict(parameters), kernel_name=kernel_name,
                                    progress_bar=False, log_output=False, cwd=str(out_dir),
                                    request_save_on_cell_execute=False, start_timeout=120,
                                    execution_timeout=CELL_TIMEOUT, **extra)
            except PapermillExecutionError as exc:
                cell, source, ename, evalue = _failed_cell(dst, src) if dst.exists() else (None, "", exc.ename, "")
                raise NotebookError(name, cell, source or exc.source, ename or exc.ename,
                                    evalue or str(exc.evalue)) from None
            except AuditError:
                raise
            except Exception as exc:  # kernel died, bad notebook JSON, ...
                raise NotebookError(name, None, "", type(exc).__name__, str(exc)) from exc
            finally:
                if kernel:
                    kernel.close_clients()
            timings.notebooks[name] = time.perf_counter() - t0
            done.append(dst)
            if progress:
                console.print(f"notebook {name}: ok ({timings.notebooks[name]:.1f}s)", highlight=False)
    finally:
        if kernel:
            kernel.stop()
    return done


REPORT_MARKER = "report.html"  # a moved-aside report directory with it is whole


def _tidy(final: Path) -> None:
    """Restore a report a killed writer moved aside; remove day-old `.tmp-*`/`.old-*` leftovers."""
    with exclusive(final.parent):
        recover(final, REPORT_MARKER)
        clean_stale(final.parent)


def _publish(staging: Path, final: Path) -> None:
    """Swap the finished report in like a snapshot: one atomic exchange, then the old one goes."""
    with exclusive(final.parent):
        recover(final, REPORT_MARKER)
        swap_in(staging, final)


def build_report(inventory_dir: Path, out: Path, options: ReportOptions, *,
                 timings: RunTimings | None = None, extras: Callable[[Path], None] | None = None) -> Path:
    """Notebooks + report.html + backlog into out/<date>/, atomically; returns the report.html path.

    `extras(staging)` writes more files into the report before the swap (the pipeline's onboarding kit)."""
    # start-up time: nbconvert loads only when a report is exported, not for every CLI command
    from audit.report.export import export_report

    o = options
    snapshot_date, capacity_days, export_all = o.snapshot_date, float(o.capacity_days or 0), o.export_all
    timings = timings or RunTimings()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    final = out / snapshot_date
    _tidy(final)
    staging = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{snapshot_date}-", dir=out))
    config_dir = Path(o.config_dir or inventory_dir).resolve()
    params = {"snapshot_date": snapshot_date, "inventory_dir": str(Path(inventory_dir).resolve()),
              "config_dir": str(config_dir), "output_dir": str(final),
              "capacity_days": capacity_days, "export_all": bool(export_all)}
    try:
        run_notebooks(params, staging, source_dir=o.notebooks_dir, kernel_name=o.kernel_name,
                      shared_kernel=o.shared_kernel, timings=timings, progress=o.progress)
        t0 = time.perf_counter()
        export_report(staging / f"{REPORT_NOTEBOOK}.ipynb", staging / "report.html",
                      title=f"CI/CD audit — {snapshot_date}", snapshot_date=snapshot_date)
        timings.export = time.perf_counter() - t0
        t0 = time.perf_counter()
        data = load(inventory_dir, snapshot_date, capacity_days=capacity_days)
        write_backlog(data.ranking(), staging, export_all=export_all, day=snapshot_date,
                      picked=data.open_picks(), jira_export=config_dir / JIRA_EXPORT)
        timings.backlog = time.perf_counter() - t0
        if extras is not None:
            extras(staging)
    except NotebookError as exc:
        kept = out / f".failed-{snapshot_date}"
        shutil.rmtree(kept, ignore_errors=True)
        os.replace(staging, kept)
        exc.kept = kept
        exc.args = (f"{exc.args[0]} (executed notebooks kept in {kept})",)
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _publish(staging, final)
    shutil.rmtree(out / f".failed-{snapshot_date}", ignore_errors=True)
    return final / "report.html"
