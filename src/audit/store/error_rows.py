"""One builder for `errors` rows: the crawl, the scan and the analysis all use it.

It lives in store/ (next to the table it fills, above only the ground floor) so repos/ and
analysis/ build rows without importing aws/. One decision per field, made here: a missing
account, client or region is null (never ""), the class is one of ERROR_CLASSES, and the message
is redacted and at most MAX_MESSAGE characters.
"""

from __future__ import annotations

from typing import Any

from audit.logs import redact

# What went wrong, from the user's side (docs/crawler.md "Errors are data" says what each means).
ERROR_CLASSES = (
    "credentials", "access-denied", "scp-denied", "region-disabled", "throttling", "timeout", "unreachable",
    "service-unavailable", "not-implemented", "not-found", "invalid-content", "other",
)
SOURCES = ("crawl", "scan", "analyze")
MAX_MESSAGE = 500


def short_message(text: str) -> str:
    """Redacted and cut to MAX_MESSAGE characters."""
    text = redact(text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + "..."


def error_row(source: str, *, collector: str, operation: str, error_class: str, error_code: str, message: str,
              account_id: str | None = None, client: str | None = None, region: str | None = None) -> dict[str, Any]:
    """One `errors` row; `collector` is the collector, or the repository for a scan."""
    if source not in SOURCES:
        raise ValueError(f"errors.source must be one of {SOURCES}, got {source!r}")
    if error_class not in ERROR_CLASSES:
        raise ValueError(f"errors.error_class must be one of {ERROR_CLASSES}, got {error_class!r}")
    return {"source": source, "account_id": account_id or None, "client": client or None,
            "region": region or None, "collector": collector, "operation": operation,
            "error_class": error_class, "error_code": error_code, "message": short_message(message)}
