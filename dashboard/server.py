"""Mounting the wall (`/wall/`) and the supervisor pages (`/pages/`) into an ASGI app.

Both are Dash (Flask) apps served through a2wsgi behind `AuthGate`. In all-in-one mode
they mount into the API's FastAPI app and ask this same server who a token is; in split
mode (`jcoc dashboard --api URL`) they mount into a small app of their own and ask the API.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import httpx
from a2wsgi import WSGIMiddleware
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from dashboard import console, wall
from dashboard.gate import SESSION_COOKIE, AuthGate, Verifier, api_base

log = logging.getLogger(__name__)

WALL_PREFIX = "/wall"
PAGES_PREFIX = "/pages"


def mount(app: Any, *, api_url: str | None = None) -> None:
    """Mount the wall and the supervisor pages into `app` (FastAPI or Starlette)."""
    verifier = Verifier(api_url)
    wall_dash = wall.create(requests_prefix=WALL_PREFIX + "/")
    console_dash = console.create(requests_prefix=PAGES_PREFIX + "/")
    app.mount(
        WALL_PREFIX,
        AuthGate(WSGIMiddleware(wall_dash.server, workers=4), verifier, users_only=False),
        name="wall",
    )
    pages = Starlette(
        routes=[
            Route("/login", _login_page(verifier), methods=["GET", "POST"]),
            Route("/logout", _logout(verifier), methods=["GET", "POST"]),
            Mount(
                "/",
                AuthGate(WSGIMiddleware(console_dash.server, workers=4), verifier, users_only=True),
            ),
        ]
    )
    app.mount(PAGES_PREFIX, pages, name="pages")


LOGIN_HTML = """<!doctype html><html lang="id"><head><meta charset="utf-8">
<title>JCOC — Masuk</title><style>
body{background:#0b1220;color:#e5e7eb;font:20px system-ui,sans-serif;display:flex;
justify-content:center;padding-top:10vh}form{display:flex;flex-direction:column;gap:1em;
width:26em}input,button{font-size:1em;padding:.4em;display:block;width:100%}
.error{color:#f87171;min-height:1em}</style></head>
<body class="login"><form method="post" class="login-box" data-testid="login-form">
<h1>JCOC — Masuk <small>/ Log in</small></h1>
<p class="error" role="alert">{error}</p>
<label>Nama pengguna / Username <input name="username" autocomplete="username" required
 autofocus></label>
<label>Kata sandi / Password <input name="password" type="password"
 autocomplete="current-password" required></label>
<input type="hidden" name="next" value="{next}">
<button type="submit">Masuk / Log in</button></form></body></html>"""


def _safe_next(value: str | None) -> str:
    # Only local paths: never an open redirect.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return PAGES_PREFIX + "/"


def _login_page(verifier: Verifier) -> Any:
    async def login(request: Request) -> Response:
        """GET shows the form; POST logs in through the API's `/api/v1/auth/login`."""
        if request.method == "GET":
            nxt = _safe_next(request.query_params.get("next"))
            return HTMLResponse(_login_html("", nxt))
        form = await request.form()
        nxt = _safe_next(str(form.get("next") or ""))
        base = api_base(request.scope, verifier.api_url)
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                resp = await client.post(
                    base + "/api/v1/auth/login",
                    json={"username": form.get("username"), "password": form.get("password")},
                )
        except httpx.HTTPError:
            return HTMLResponse(
                _login_html("API tidak terjangkau / API unreachable", nxt),
                status_code=503,
            )
        if resp.status_code != 200:
            message = "Nama pengguna atau kata sandi salah / Wrong username or password"
            if resp.status_code == 422:
                message = "Isi nama pengguna dan kata sandi / Fill in username and password"
            return HTMLResponse(_login_html(message, nxt), status_code=401)
        body = resp.json()
        out = RedirectResponse(nxt, status_code=303)
        hours = 12
        expires = str(body.get("expires_at", ""))
        out.set_cookie(
            SESSION_COOKIE,
            body["token"],
            max_age=hours * 3600,
            httponly=True,
            samesite="lax",
            secure=urlsplit(str(request.url)).scheme == "https",
        )
        log.info("dashboard login for %s (until %s)", body.get("username"), expires)
        return out

    return login


def _logout(verifier: Verifier) -> Any:
    async def logout(request: Request) -> Response:
        """End the session at the API and forget the cookie."""
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            verifier.forget(token)
            base = api_base(request.scope, verifier.api_url)
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    await client.post(
                        base + "/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
                    )
            except httpx.HTTPError:
                log.warning("logout could not reach the API; the cookie is dropped anyway")
        out = RedirectResponse(PAGES_PREFIX + "/login", status_code=303)
        out.delete_cookie(SESSION_COOKIE)
        return out

    return logout


def _login_html(error: str, nxt: str) -> str:
    return LOGIN_HTML.replace("{error}", _escape(error)).replace("{next}", _escape(nxt))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def create_split_app(api_url: str) -> Starlette:
    """The dashboard as its own process: a client of the API at `api_url`."""
    app = Starlette(routes=[Route("/", lambda r: RedirectResponse(WALL_PREFIX + "/"))])
    mount(app, api_url=api_url)
    return app
