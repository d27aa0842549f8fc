"""Every route refuses a caller without credentials, except the listed public routes.

Checked by behaviour, over real HTTP: each route of the assembled app is called with no
token and must answer 401. The route count has a floor so the check cannot pass vacuously
(FastAPI 0.165 stores included routers lazily; an earlier structural check saw no routes).
"""

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import Mount, Route

from jcoc.app import PUBLIC_DOCS, PUBLIC_PATHS, create_app
from tests.live import LiveServer


def _walk(routes, prefix: str = "") -> Iterator[tuple[str, set[str], str]]:
    """(path, methods, kind) of every route, descending into included routers."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):  # FastAPI >= 0.16x lazy include
            for ctx in route.effective_route_contexts():
                original = ctx.original_route
                path = prefix + (ctx.path or getattr(original, "path", ""))
                yield from _walk_one(original, path)
        elif isinstance(route, Mount):
            yield (prefix + route.path, {"GET"}, "mount")
        else:
            yield from _walk_one(route, prefix + getattr(route, "path", ""))


def _walk_one(route, path: str) -> Iterator[tuple[str, set[str], str]]:
    if isinstance(route, APIWebSocketRoute):
        yield (path, set(), "websocket")
    elif isinstance(route, APIRoute | Route):
        yield (path, set(route.methods or ()) - {"HEAD"}, "http")
    elif isinstance(route, Mount):
        yield (path, {"GET"}, "mount")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.fixture(scope="module")
def app_routes(tmp_path_factory):
    from tests.conftest import sqlite_settings_for

    settings = sqlite_settings_for(tmp_path_factory.mktemp("routes") / "jcoc.db")
    with LiveServer(lambda: create_app(settings)) as server:
        routes = sorted(set((p, frozenset(m), k) for p, m, k in _walk(server.app.routes)))
        yield server, routes


def test_route_walk_sees_the_whole_api(app_routes) -> None:
    _, routes = app_routes
    paths = {p for p, _, _ in routes}
    # A floor, not an exact count: new routes are welcome, a blind walk is not.
    assert len(paths) >= 40, sorted(paths)
    for expected in ("/api/v1/status", "/api/v1/incidents", "/ws", "/api/v1/summary"):
        assert expected in paths


async def test_every_route_refuses_a_caller_without_credentials(app_routes) -> None:
    server, routes = app_routes
    open_routes = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        for path, methods, kind in routes:
            if kind != "http" or path in PUBLIC_PATHS | PUBLIC_DOCS:
                continue
            for method in sorted(methods):
                r = await client.request(method, _concrete(path), json={})
                if r.status_code != 401:
                    open_routes.append(f"{method} {path} -> {r.status_code}")
    assert open_routes == []


async def test_mounted_pages_refuse_without_credentials(app_routes) -> None:
    server, routes = app_routes
    mounts = [p for p, _, k in routes if k == "mount" and not p.startswith("/static")]
    assert {"/wall", "/pages"} <= set(mounts), mounts  # the walk must see the pages at all
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        for path in mounts:
            r = await client.get(path.rstrip("/") + "/", follow_redirects=False)
            # The wall answers 401; supervisor pages redirect to their login page.
            assert r.status_code in (401, 302, 303, 307), f"{path} -> {r.status_code}"
            if r.status_code != 401:
                assert "login" in r.headers["location"]


def test_public_routes_are_only_health_and_login() -> None:
    assert {"/healthz", "/readyz"} <= PUBLIC_PATHS
    assert all(p.startswith(("/healthz", "/readyz", "/api/v1/auth/login")) for p in PUBLIC_PATHS)
