"""One credential-stripping rule for every URL the tool stores or logs.

A URL loses its userinfo (`user:token@`, up to the last `@` of the authority, since passwords may
hold `@`) and the value of every query parameter not on `KEPT_QUERY` (an allow-list: `?private_token=`,
`access_token`, `sig`, `X-Amz-Signature`, ... and anything unknown keep their name, never their
value). `strip_credentials` takes one URL; `strip_credentials_in` rewrites every URL inside a text
(log lines, error messages). A leaf module: aws/, repos/ and logs import it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

MASK = "<redacted>"
# Query parameters whose values are kept: they select a revision or a file, never authenticate.
KEPT_QUERY = frozenset({"ref", "branch", "tag", "version", "versionid", "path", "region", "service"})
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(URL without userinfo, user, password) — the user and password percent-decoded as git sends them."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), unquote(user) or None, unquote(password) or None


def strip_credentials(url: str) -> str:
    """The URL without userinfo and with every non-allow-listed query value masked."""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket: keep the scheme only
        return url.split("://", 1)[0] + "://" + MASK
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='/') if k.lower() in KEPT_QUERY else MASK}"
                         for k, v in pairs) if pairs else MASK
    fragment = MASK if "=" in parts.fragment else parts.fragment  # e.g. #access_token=... (OAuth)
    return urlunsplit(parts._replace(netloc=netloc, query=query, fragment=fragment))


def strip_credentials_in(text: str) -> str:
    """Every URL inside `text` through `strip_credentials`."""
    return _URL.sub(lambda m: strip_credentials(m.group(0)), text) if "://" in text else text
