"""The supervisor pages' calls to the REST API, made with the viewer's own token.

Runs inside Dash callbacks (a WSGI worker thread); `AuthGate` put the viewer and the API's
base URL into the request's ASGI scope.
"""

from __future__ import annotations

import logging
from typing import Any

import flask
import httpx

log = logging.getLogger(__name__)


class ApiError(RuntimeError):
    """The API refused or could not be reached; `message` is for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _context() -> tuple[str, str, Any]:
    info = flask.request.environ["asgi.scope"]["jcoc"]
    return info["api"], info["viewer"].token, info["viewer"]


def viewer() -> Any:
    """Who is looking at the page (kind, name, role)."""
    return _context()[2]


def call(method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
    """Call the API as the viewer; the decoded JSON body, or ApiError with its detail."""
    base, token, _ = _context()
    try:
        resp = httpx.request(
            method,
            base + path,
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10.0,
        )
    except httpx.HTTPError as exc:
        log.warning("API call %s %s failed: %s", method, path, exc)
        raise ApiError(503, "API tidak terjangkau / API unreachable") from exc
    if resp.status_code >= 400:
        detail: Any = resp.text
        try:
            detail = resp.json().get("detail", detail)
        except ValueError:
            pass
        if isinstance(detail, list):  # FastAPI 422: say which field and why
            detail = "; ".join(
                f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg')}"
                for d in detail
                if isinstance(d, dict)
            )
        raise ApiError(resp.status_code, f"{resp.status_code}: {detail}")
    return resp.json() if resp.content else None
