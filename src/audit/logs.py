"""Logging to stderr through rich, with AWS credentials redacted from every record."""

from __future__ import annotations

import logging
import re

from rich.console import Console
from rich.logging import RichHandler

from audit.urls import strip_credentials_in

# Access key ids and anything after a secret-looking key= / key: in a message; URLs go through
# the one credential-stripping rule (audit.urls: userinfo and query values).
_SECRETS = [
    re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{12,}\b"),
    re.compile(r"(?i)((?:secret|session|token|password)[\w-]*[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
]


def redact(text: str) -> str:
    """Remove credential-looking substrings (URL credentials, access key ids, secret/token values)."""
    text = strip_credentials_in(text)
    text = _SECRETS[0].sub("<redacted-key-id>", text)
    return _SECRETS[1].sub(r"\1<redacted>", text)


class _RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:  # the traceback's messages are text too
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


console = Console(stderr=True)


def setup_logging(verbose: int = 0) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = RichHandler(console=console, show_path=False, rich_tracebacks=False)
    handler.addFilter(_RedactFilter())
    logging.basicConfig(level=level, handlers=[handler], format="%(message)s", force=True)
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "moto", "papermill", "traitlets"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # A refused AssumeRole is logged by botocore as a warning with a traceback; the crawler already
    # records it as an `errors` row (collector session, operation AssumeRole), so keep the console to that one line.
    logging.getLogger("botocore.credentials").setLevel(logging.ERROR)
