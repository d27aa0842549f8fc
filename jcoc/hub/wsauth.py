"""Who may open the websocket: a kiosk token or a login session, from an allowed Origin."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import WebSocket

from jcoc.auth.deps import Principal, bearer_token, principal_from_token
from jcoc.config import Settings

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_TRY_AGAIN = 1013


@dataclass(frozen=True)
class WsAuth:
    """The outcome of the check: a principal, or the close code and reason to send."""

    principal: Principal | None
    close_code: int = 0
    reason: str = ""


def origin_allowed(origin: str, host: str, settings: Settings) -> bool:
    """The server's own origin (same host and port) or one of JCOC_ALLOWED_ORIGINS."""
    if origin.rstrip("/") in {o.rstrip("/") for o in settings.allowed_origins}:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


async def authenticate_websocket(websocket: WebSocket) -> WsAuth:
    """Check Origin, then the token (query `token`, session cookie or Bearer)."""
    settings: Settings = websocket.app.state.settings
    origin = websocket.headers.get("origin")
    if origin and not origin_allowed(origin, websocket.headers.get("host", ""), settings):
        return WsAuth(None, CLOSE_FORBIDDEN_ORIGIN, f"origin {origin} is not allowed")
    token = bearer_token(websocket)
    if not token:
        return WsAuth(None, CLOSE_UNAUTHORIZED, "login or a kiosk token is required")
    try:
        async with websocket.app.state.sessions() as session:
            principal = await principal_from_token(session, token)
    except Exception:
        log.warning("websocket auth: database unavailable", exc_info=True)
        return WsAuth(None, CLOSE_TRY_AGAIN, "database unavailable; retry shortly")
    if principal is None or principal.kind == "agency":
        return WsAuth(None, CLOSE_UNAUTHORIZED, "invalid, expired or revoked token")
    return WsAuth(principal)


authenticate_websocket._jcoc_auth = True  # type: ignore[attr-defined]
