"""Composition root: assembles the API process from the domain packages.

This is the only module of `jcoc` that may import `ingest`, `camera_bridge` or
`dashboard`; the rest of the core never does.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dashboard import server as dashboard_server
from ingest import component as ingest_component
from ingest import router as ingest_router
from ingest.cameras.component import camera_component
from jcoc import health
from jcoc.audit import router as audit_router
from jcoc.auth import admin_router
from jcoc.auth import router as auth_router
from jcoc.bus import create_bus
from jcoc.camera import router as camera_router
from jcoc.config import Settings, get_settings
from jcoc.db.engine import create_engine, detect_flavor, session_factory
from jcoc.db.leader import PROBES, singleton
from jcoc.db.retention import retention_component
from jcoc.hub import router as hub_router
from jcoc.hub.hub import hub_component
from jcoc.incident import router as incident_router
from jcoc.incident.engine import incident_engine
from jcoc.kpi import router as kpi_router
from jcoc.notify import router as webhook_router
from jcoc.notify.sender import webhook_sender
from jcoc.opd import router as opd_router
from jcoc.status import router as status_router

log = logging.getLogger(__name__)

# Routes reachable without any token. Everything else must depend on an auth dependency;
# tests/test_routes_auth.py enforces it.
PUBLIC_PATHS = {"/healthz", "/readyz", *auth_router.PUBLIC}
# The API reference is public on purpose: an agency programmer reads it before having any
# login. It describes the API and holds no data.
PUBLIC_DOCS = {"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI application for `settings`."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        try:
            app.state.flavor = await detect_flavor(engine)
        except Exception:
            # Start anyway: /readyz reports it and requests get 503 until it is back.
            log.warning("database unreachable at start; will keep trying", exc_info=True)
            app.state.flavor = "unknown"
        app.state.bus = create_bus(settings.redis_url)
        await app.state.bus.start()
        try:
            async with AsyncExitStack() as stack:
                for component in _components():
                    await stack.enter_async_context(component(app))
                yield
        finally:
            await app.state.bus.stop()
            await engine.dispose()

    app = FastAPI(
        title="JCOC — Jambi City Operation Center",
        version="0.1.0",
        description=(
            "API pusat pemantauan Kota Jambi / the Jambi City Operation Center API. "
            "Agencies push with `Authorization: Bearer <api key>`; people log in at "
            "`/api/v1/auth/login`; wall displays use a kiosk token."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    """Every router of the API. Add one line per router; keep the order stable."""
    app.include_router(health.router)
    app.include_router(auth_router.router)
    app.include_router(hub_router.router)
    app.include_router(incident_router.router)
    app.include_router(admin_router.router)
    app.include_router(audit_router.router)
    app.include_router(webhook_router.router)
    app.include_router(ingest_router.router)
    app.include_router(status_router.router)
    app.include_router(kpi_router.router)
    app.include_router(opd_router.router)
    app.include_router(camera_router.router)
    for db_error in (OperationalError, InterfaceError, PoolTimeout):  # 503, never a 500
        app.add_exception_handler(db_error, ingest_router.database_unavailable)
    dashboard_server.mount(app)  # /wall/ and /pages/ (Dash), behind their own auth gate


def _components() -> list[Callable[[FastAPI], AbstractAsyncContextManager[None]]]:
    """Background parts started with the app (writer, hub, probes, cameras, SLA engine …).

    Jobs that must run once per deployment, not once per process, go inside `singleton()`.
    Each is `component(app)` -> async context manager: started in order, stopped in reverse.
    """
    return [
        ingest_component.writer_component,
        hub_component,
        # Jobs for the whole city: in ONE process of all sharing the database (the leader).
        singleton(incident_engine, webhook_sender, retention_component),
        # Probes: one process city-wide, contended also by `jcoc ingest probes` processes.
        singleton(ingest_component.probes_component, group=PROBES),
        camera_component,  # sharded by `--shard`, not a singleton
    ]
