"""Authentication in front of the Dash apps: the dashboard asks the API who a token is.

The dashboard never touches the database: a token (kiosk `?kiosk=`, the `jcoc_session`
cookie or `Authorization: Bearer`) is checked with `GET /api/v1/auth/me` on the API and the
answer is cached for a few seconds. The wall accepts kiosk tokens and logins; the
supervisor pages accept logins only and send everyone else to the login page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote

import httpx

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Any  # any ASGI callable (a2wsgi and Starlette type their own scopes)

SESSION_COOKIE = "jcoc_session"
# Set when the wall is opened with ?kiosk=: Dash's own follow-up requests carry no query.
KIOSK_COOKIE = "jcoc_kiosk"
CACHE_SECONDS = 15.0


@dataclass(frozen=True)
class Viewer:
    """Who is looking, as the API's `/api/v1/auth/me` answers."""

    kind: str  # "user" | "kiosk"
    name: str
    role: str
    token: str


class ApiUnreachable(RuntimeError):
    """The API did not answer the token check."""


def api_base(scope: Scope, configured: str | None) -> str:
    """The API's base URL: configured (split mode) or this very server (all-in-one)."""
    if configured:
        return configured.rstrip("/")
    server = scope.get("server") or ("127.0.0.1", 8000)
    host = server[0]
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"http://{host}:{server[1]}"


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin1"))
            except Exception:  # noqa: S112 - a malformed cookie header is no token
                continue
    return {k: m.value for k, m in jar.items()}


def token_from_scope(scope: Scope) -> tuple[str | None, bool]:
    """(token, came_from_query): bearer header, session cookie, ?kiosk=/?token=, kiosk cookie."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip() or None, False
    cookies = _cookies(scope)
    if cookies.get(SESSION_COOKIE):
        return cookies[SESSION_COOKIE], False
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    for key in ("kiosk", "token"):
        if query.get(key):
            return query[key][0], True
    return cookies.get(KIOSK_COOKIE) or None, False


class Verifier:
    """Checks tokens against the API's `/api/v1/auth/me`, caching answers briefly."""

    def __init__(self, api_url: str | None = None) -> None:
        self.api_url = api_url
        self._cache: dict[str, tuple[float, Viewer | None]] = {}
        self._client = httpx.AsyncClient(timeout=5.0)

    async def who(self, token: str, scope: Scope) -> Viewer | None:
        """The viewer behind `token`, None when the API refuses it."""
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit and hit[0] > now:
            return hit[1]
        url = api_base(scope, self.api_url) + "/api/v1/auth/me"
        try:
            resp = await self._client.get(url, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise ApiUnreachable(str(exc)) from exc
        if resp.status_code in (401, 403):
            viewer = None
        elif resp.status_code == 200:
            body = resp.json()
            viewer = Viewer(str(body["kind"]), str(body["name"]), str(body["role"]), token)
        else:
            raise ApiUnreachable(f"auth check answered {resp.status_code}")
        if len(self._cache) > 1000:
            self._cache.clear()
        self._cache[token] = (now + (CACHE_SECONDS if viewer else 2.0), viewer)
        return viewer

    def forget(self, token: str) -> None:
        """Drop a token from the cache (logout)."""
        self._cache.pop(token, None)


async def _plain(send: Send, status: int, body: str, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


UNAUTHORIZED_PAGE = """<!doctype html><html lang="id"><head><title>JCOC — 401</title></head>
<body style="background:#0b1220;color:#e5e7eb;font:24px sans-serif;padding:3em">
<h1>Akses ditolak / Access denied</h1>
<p>Buka dinding dengan token kiosk: <code>/wall/?kiosk=&lt;token&gt;</code>
(<code>jcoc kiosk create &lt;nama&gt;</code>) atau <a style="color:#93c5fd"
href="/pages/login">masuk</a>.</p></body></html>"""


class AuthGate:
    """ASGI middleware admitting only verified viewers; puts the viewer in `scope["jcoc"]`."""

    def __init__(
        self,
        app: ASGIApp,
        verifier: Verifier,
        *,
        users_only: bool,
        login_path: str = "/pages/login",
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.users_only = users_only
        self.login_path = login_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token, from_query = token_from_scope(scope)
        viewer: Viewer | None = None
        if token:
            try:
                viewer = await self.verifier.who(token, scope)
            except ApiUnreachable as exc:
                log.warning("dashboard cannot check a token: %s", exc)
                await _plain(
                    send,
                    503,
                    "<h1>API tidak terjangkau / API unreachable</h1>",
                    [(b"retry-after", b"5")],
                )
                return
        if viewer is None or (self.users_only and viewer.kind != "user"):
            await self._refuse(scope, send)
            return
        scope["jcoc"] = {"viewer": viewer, "api": api_base(scope, self.verifier.api_url)}
        if not (from_query and viewer.kind == "kiosk"):
            await self.app(scope, receive, send)
            return

        cookie = (
            f"{KIOSK_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={12 * 3600}"
        ).encode()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        accepts_html = any(
            name == b"accept" and b"text/html" in value for name, value in scope.get("headers", [])
        )
        if self.users_only and accepts_html and scope.get("method") == "GET":
            # Starlette keeps the full path in a mounted app's scope.
            target = quote(scope.get("path", "/"))
            location = f"{self.login_path}?next={target}".encode()
            await _plain(send, 303, "", [(b"location", location)])
            return
        await _plain(send, 401, UNAUTHORIZED_PAGE, [(b"www-authenticate", b"Bearer")])
