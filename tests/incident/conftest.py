"""Shared setup for incident tests: a seeded city, a live server, a controllable clock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from jcoc.auth import service as auth
from jcoc.auth.models import Role
from jcoc.camera.models import Camera
from jcoc.config import Settings
from jcoc.db.engine import create_engine, session_factory
from jcoc.opd import service as opd
from tests.live import LiveServer

PASSWORDS = {"vera": "viewer-pass", "sari": "operator-pass", "budi": "supervisor-pass",
             "ani": "admin-pass-123"}  # fmt: skip
ROLES = {"vera": Role.viewer, "sari": Role.operator, "budi": Role.supervisor, "ani": Role.admin}


@dataclass
class Clock:
    """A clock tests move by hand; the app reads it through `app.state.clock`."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 22, 1, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


async def seed(settings: Settings) -> dict[str, Any]:
    """Agencies, a service, a camera, one user per role and an agency API key."""
    engine = create_engine(settings)
    async with session_factory(engine)() as s:
        bpbd = await opd.create_agency(db_session=s, code="bpbd", name="BPBD")
        dishub = await opd.create_agency(db_session=s, code="dishub", name="Dinas Perhubungan")
        await opd.create_service(
            db_session=s, agency=dishub, code="atcs", name="ATCS", expected_interval_s=300,
            grace_s=0,
        )  # fmt: skip
        s.add(Camera(code="cctv-simpang-kawat", name="Simpang Kawat", url="rtsp://u:secret@x/1",
                     lat=-1.62, lon=103.61, kecamatan="Jelutung", enabled=False))  # fmt: skip
        key = await auth.create_api_key(db_session=s, agency=bpbd)
        dkey = await auth.create_api_key(db_session=s, agency=dishub)
        for name, role in ROLES.items():
            await auth.create_user(db_session=s, username=name, password=PASSWORDS[name], role=role)
        await s.commit()
    await engine.dispose()
    return {"bpbd_key": key.token, "dishub_key": dkey.token}


async def login(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    r = await client.post(
        "/api/v1/auth/login", json={"username": name, "password": PASSWORDS[name]}
    )
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def on_server_loop(server: LiveServer, coro: Any) -> Any:
    """Run a coroutine on the live server's own event loop (where its engine lives)."""
    loop = server.app.state.incident_engine.loop
    return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))


def tuned(settings: Settings) -> Settings:
    """The test's settings, with the engine ticking only when a test says so."""
    return settings.model_copy(
        update={
            "incident_tick_seconds": 3600.0,
            "webhook_poll_seconds": 0.1,
            "webhook_backoff_seconds": 0.2,
            "camera_incident_grace_seconds": 60,
        }
    )


@pytest.fixture
async def keys(settings: Settings) -> dict[str, Any]:
    return await seed(settings)


@pytest.fixture
def server(settings: Settings, keys: dict[str, Any]) -> Iterator[LiveServer]:
    from jcoc.app import create_app

    with LiveServer(lambda: create_app(tuned(settings))) as srv:
        yield srv
