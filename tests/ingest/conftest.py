"""Ingest fixtures: a seeded city (two agencies, services, KPIs, keys, an admin login)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from jcoc.auth import service as auth_service
from jcoc.auth.models import Role
from jcoc.config import Settings
from jcoc.db.engine import create_engine, detect_flavor, session_factory
from jcoc.kpi import service as kpi_service
from jcoc.opd import service as opd


@dataclass
class City:
    settings: Settings
    dishub_key: str
    bpbd_key: str
    admin: str
    kiosk: str


async def seed_city(settings: Settings) -> City:
    """Dishub (atcs, parkir) and BPBD (ews) with a KPI each, keys, an admin and a kiosk."""
    engine = create_engine(settings)
    await detect_flavor(engine)
    async with session_factory(engine)() as s:
        dishub = await opd.create_agency(db_session=s, code="dishub", name="Dinas Perhubungan")
        bpbd = await opd.create_agency(db_session=s, code="bpbd", name="BPBD")
        await opd.create_service(db_session=s, agency=dishub, code="atcs", name="ATCS")
        await opd.create_service(
            db_session=s, agency=dishub, code="parkir", name="E-Parkir", expected_interval_s=60
        )
        await opd.create_service(db_session=s, agency=bpbd, code="ews", name="Early Warning")
        await kpi_service.create_kpi(
            db_session=s, agency=dishub, code="traffic_volume", name="Volume", unit="veh/h"
        )
        await kpi_service.create_kpi(
            db_session=s,
            agency=bpbd,
            code="water_level",
            name="Tinggi muka air Batanghari",
            unit="m",
            warn_at=7.0,
            crit_at=9.0,
        )
        dishub_key = await auth_service.create_api_key(db_session=s, agency=dishub)
        bpbd_key = await auth_service.create_api_key(db_session=s, agency=bpbd)
        admin = await auth_service.create_user(
            db_session=s, username="admin", password="admin-password", role=Role.admin
        )
        token, _ = await auth_service.create_login_session(
            db_session=s, user=admin, lifetime=timedelta(hours=1)
        )
        kiosk = await auth_service.create_kiosk_token(db_session=s, name="wall")
        await s.commit()
    await engine.dispose()
    return City(settings, dishub_key.token, bpbd_key.token, token, kiosk.token)


@pytest.fixture
async def city(settings: Settings) -> City:
    return await seed_city(settings)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def event(service: str = "atcs", status: str = "up", **extra: Any) -> dict[str, Any]:
    from jcoc.db.base import utcnow

    body: dict[str, Any] = {"service": service, "status": status, "time": utcnow().isoformat()}
    body.update(extra)
    return body
