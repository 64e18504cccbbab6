"""Text from client accounts and config made safe for the markdown files the tool writes."""

from __future__ import annotations

import html
import re
from typing import Any


def cell(value: Any) -> str:
    """Text safe inside a markdown table cell: HTML-escaped, markdown punctuation escaped, one line."""
    text = html.escape(str(value), quote=False).replace("\r", " ").replace("\n", " ")
    return re.sub(r"([\\`*_\[\]|#])", r"\\\1", text)
