"""Every route is authenticated unless it is a listed public route."""

from fastapi.routing import APIRoute, APIWebSocketRoute

from jcoc.app import PUBLIC_PATHS, create_app
from tests.conftest import make_settings


def _has_auth(dependant) -> bool:
    for dep in dependant.dependencies:
        if getattr(dep.call, "_jcoc_auth", False) or _has_auth(dep):
            return True
    return False


def test_every_route_needs_auth_except_health_checks() -> None:
    app = create_app(make_settings(database_url="sqlite+aiosqlite:///:memory:"))
    unprotected = []
    for route in app.routes:
        if isinstance(route, APIRoute | APIWebSocketRoute) and route.path not in PUBLIC_PATHS:
            if not _has_auth(route.dependant):
                unprotected.append(route.path)
    assert unprotected == []
    assert {"/healthz", "/readyz"} <= PUBLIC_PATHS


def test_docs_do_not_list_unexpected_public_routes() -> None:
    assert all(p.startswith(("/healthz", "/readyz", "/api/v1/auth/login")) for p in PUBLIC_PATHS)
