"""The exceptions cicd-audit raises on purpose.

    AuditError                 base; the CLI prints its message, never a traceback
    ├── ConfigError            bad user input (config, catalog, CLI value): exit code 2
    ├── CollectionError        one AWS call failed; carries account, region, service, error class
    └── SnapshotError          a snapshot is missing, incomplete or unreadable
"""

from __future__ import annotations


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


class SnapshotError(AuditError):
    """A snapshot cannot be found or read."""

