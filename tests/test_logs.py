"""Logging: credentials are redacted from messages and from the tracebacks logged with them."""

from __future__ import annotations

import logging

from audit import logs
from audit.logs import redact


def test_redact_keys_tokens_and_url_passwords() -> None:
    text = redact("key AKIAABCDEFGHIJKLMNOP token=abc123 at https://bot:ghp_s3cr3t@github.com/acme/web.git")
    assert "AKIAABCDEFGHIJKLMNOP" not in text and "abc123" not in text and "ghp_s3cr3t" not in text
    assert "at https://github.com/acme/web.git" in text  # userinfo dropped (audit.urls, one rule)
    text = redact("https://github.com/acme/web.git and ssh://git@host/x?private_token=t0k&ref=main")
    assert text.startswith("https://github.com/acme/web.git and ssh://host/x?private_token=<redacted>")
    assert "t0k" not in text


def test_logged_traceback_is_redacted(capsys) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.setup_logging(2)
    try:
        raise RuntimeError("clone of https://bot:ghp_s3cr3t@github.com/acme/web.git failed")
    except RuntimeError:
        logging.getLogger("audit.test").debug("scan failed", exc_info=True)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "scan failed" in err and "RuntimeError" in err
    assert "ghp_s3cr3t" not in err
