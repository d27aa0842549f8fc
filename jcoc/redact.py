"""URLs carry credentials (cameras, probe targets): these keep them from leaving the server.

A leaf module of the standard library only, so `camera_bridge` may use it as well.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_QUERY_KEYS = {
    "user",
    "username",
    "pass",
    "password",
    "pwd",
    "token",
    "key",
    "auth",
    "secret",
}
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def redact_url(url: str) -> str:
    """The URL without user/password (`rtsp://***@host/path`) and without secret query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if k.lower() in SECRET_QUERY_KEYS else v) for k, v in pairs], safe="*"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def scrub(text: str, url: str | None = None) -> str:
    """`text` (an error message) with the camera URL and any `user:pass@` replaced."""
    if url:
        text = text.replace(url, redact_url(url))
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            text = text.replace(password, "***")
    return _USERINFO.sub(r"\g<scheme>***@", text)
