"""Fixtures for camera tests: generated clips, people and tokens, a live server with cameras."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jcoc.auth import service as auth_service
from jcoc.auth.models import Role
from jcoc.config import Settings
from jcoc.db.engine import create_engine, session_factory
from tests.cameras.media import make_clip
from tests.conftest import sqlite_settings_for
from tests.live import LiveServer

ADMIN_PASSWORD = "admin-password-1"


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("clips")
    return lambda kind, **kw: make_clip(folder, kind, **kw)


def fast_camera_settings(path: Path, **overrides: Any) -> Settings:
    """SQLite settings with short camera intervals (the test budget is small)."""
    values: dict[str, Any] = {
        "camera_offline_after_s": 3.0,
        "camera_persist_samples": 2,
        "camera_snapshot_max_age_s": 3.0,
    }
    values.update(overrides)
    return sqlite_settings_for(path, **values)


async def seed_people(settings: Settings) -> dict[str, str]:
    """An admin, an operator and a kiosk token; returns the kiosk token."""
    engine = create_engine(settings)
    async with session_factory(engine)() as s:
        await auth_service.create_user(
            db_session=s, username="admin", password=ADMIN_PASSWORD, role=Role.admin
        )
        await auth_service.create_user(
            db_session=s, username="sari", password="operator-pw", role=Role.operator
        )
        kiosk = await auth_service.create_kiosk_token(db_session=s, name="dinding")
        await s.commit()
    await engine.dispose()
    return {"kiosk": kiosk.token}


def login(base_url: str, username: str = "admin", password: str = ADMIN_PASSWORD) -> str:
    r = httpx.post(
        f"{base_url}/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


class CamServer:
    """A live app plus tokens: `admin` (client with admin token), `kiosk` token."""

    def __init__(self, server: LiveServer, kiosk: str) -> None:
        self.server = server
        self.url = server.url
        self.kiosk = kiosk
        self.admin = httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"Bearer {login(server.url)}"},
            timeout=10,
        )

    @property
    def cameras(self) -> Any:
        return self.server.app.state.cameras

    def add_camera(self, code: str, url: str, **fields: Any) -> dict[str, Any]:
        body = {"code": code, "url": url, "name": fields.pop("name", code), **fields}
        r = self.admin.post("/api/v1/cameras", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def camera(self, code: str) -> dict[str, Any]:
        r = self.admin.get(f"/api/v1/cameras/{code}")
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture
def cam_server(tmp_path: Path) -> Iterator[CamServer]:
    from jcoc.app import create_app

    settings = fast_camera_settings(tmp_path / "jcoc.db")
    tokens = asyncio.run(seed_people(settings))
    with LiveServer(lambda: create_app(settings)) as server:
        cs = CamServer(server, tokens["kiosk"])
        try:
            yield cs
        finally:
            cs.admin.close()
