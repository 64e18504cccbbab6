"""The exceptions cicd-audit raises on purpose: all of them, in one tree (a test keeps it so).

    AuditError                 base; the CLI prints its message, never a traceback: exit code 1
    ├── ConfigError            bad user input (config, catalog, CLI value): exit code 2
    ├── CollectionError        one AWS call failed; carries account, region, service, error class: 1
    ├── ReadOnlyViolation      an operation no collector declares; refused before it was sent: 1
    ├── PreflightError         base credentials or endpoint unusable before the crawl: exit code 2
    ├── AccountsFailed         the crawl finished, some accounts failed (exit 3) or all did (exit 4)
    ├── GitError               a git command failed (clone, fetch, a missing branch); carries kind: 1
    ├── SnapshotError          a snapshot is missing, incomplete or unreadable: exit code 1
    ├── NotebookError          a report notebook failed; names notebook, cell, exception: exit code 1
    └── ExportError            the exported report.html would not open offline: exit code 1

Inside a crawl or scan, CollectionError and GitError become `errors` rows (partial failure is data);
they reach the CLI only where nothing else can go on.
"""

from __future__ import annotations

from pathlib import Path


class AuditError(Exception):
    """Any error cicd-audit reports to the user as one message."""

    exit_code = 1


class ConfigError(AuditError):
    """A user-supplied file or value is invalid; the message names file, line and field."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.file, self.line, self.field = file, line, field
        where = ""
        if file:
            where = f"{file}:{line}: " if line else f"{file}: "
        what = f"{field}: " if field else ""
        super().__init__(f"{where}{what}{message}")


class CollectionError(AuditError):
    """An AWS operation failed for one account/region/service (recorded as an `errors` row)."""

    def __init__(self, message: str, *, account_id: str = "", region: str = "", service: str = "",
                 operation: str = "", error_class: str = "other") -> None:
        self.account_id, self.region, self.service = account_id, region, service
        self.operation, self.error_class = operation, error_class
        super().__init__(message)


class ReadOnlyViolation(AuditError):
    """The crawler tried an operation outside the declared set; refused before anything was sent."""

    def __init__(self, service: str, operation: str) -> None:
        self.service, self.operation = service, operation
        super().__init__(f"refused {service}:{operation}: not an operation any collector declares "
                         "(cicd-audit only makes the reads it declares)")


class PreflightError(AuditError):
    """The base credentials or the endpoint do not work; nothing was crawled or written."""

    exit_code = 2


# Exit codes of a crawl that finished (0: every account crawled; errors inside accounts are data).
EXIT_SOME_ACCOUNTS_FAILED = 3
EXIT_ALL_ACCOUNTS_FAILED = 4


class AccountsFailed(AuditError):
    """The crawl finished and wrote its snapshot, but some (exit 3) or all (exit 4) accounts failed."""

    def __init__(self, message: str, *, failed: int, total: int) -> None:
        self.failed, self.total = failed, total
        self.exit_code = EXIT_ALL_ACCOUNTS_FAILED if failed >= total else EXIT_SOME_ACCOUNTS_FAILED
        super().__init__(message)


class GitError(AuditError):
    """A git command failed; `kind` is an errors.error_class (unreachable | timeout | not-found | other)."""

    def __init__(self, message: str, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind


class SnapshotError(AuditError):
    """A snapshot cannot be found or read."""


class NotebookError(AuditError):
    """A notebook failed: names the notebook, the cell and the exception."""

    def __init__(self, notebook: str, cell: int | None, source: str, ename: str, evalue: str,
                 kept: Path | None = None) -> None:
        self.notebook, self.cell, self.ename, self.evalue, self.kept = notebook, cell, ename, evalue, kept
        first = next((line.strip() for line in source.splitlines() if line.strip()), "")
        where = f"cell {cell}" + (f" (`{first[:80]}`)" if first else "") if cell is not None else "setup"
        msg = f"notebook {notebook}.ipynb failed in {where}: {ename}: {evalue}"
        if kept:
            msg += f" (executed notebook kept in {kept})"
        super().__init__(msg)


class ExportError(AuditError):
    """The exported report would not open offline (or nbconvert failed)."""

