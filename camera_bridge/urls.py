"""Camera URLs: their kind, and (from `jcoc.redact`) how they are kept secret."""

from __future__ import annotations

from urllib.parse import urlsplit

from jcoc.redact import SECRET_QUERY_KEYS, redact_url, scrub

__all__ = ["SECRET_QUERY_KEYS", "redact_url", "scheme_of", "scrub"]


def scheme_of(url: str) -> str:
    """`rtsp`, `http`, `https`, `file`, `sim` …; a bare path counts as `file`."""
    scheme = urlsplit(url).scheme.lower()
    return scheme if len(scheme) > 1 else "file"
