"""Seed data for the dashboard tests, written through the domain services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jcoc.auth import service as auth_service
from jcoc.auth.models import Role
from jcoc.camera.models import Camera
from jcoc.config import Settings
from jcoc.db.base import utcnow
from jcoc.db.engine import create_engine, detect_flavor, session_factory, transaction
from jcoc.incident import service as incident_service
from jcoc.incident.models import IncidentSource
from jcoc.incident.schemas import IncidentIn
from jcoc.opd import service as opd_service

PASSWORD = "rahasia-123"


@dataclass
class Seeded:
    kiosk: str
    api_key: str
    incident_id: int


async def seed(settings: Settings) -> Seeded:
    """Two agencies, services with a short silence window, a camera, users, one incident."""
    engine = create_engine(settings)
    try:
        await detect_flavor(engine)
        async with transaction(session_factory(engine)) as s:
            dishub = await opd_service.create_agency(db_session=s, code="dishub", name="Dishub")
            bpbd = await opd_service.create_agency(db_session=s, code="bpbd", name="BPBD")
            await opd_service.create_service(
                db_session=s, agency=dishub, code="atcs", name="ATCS", expected_interval_s=4
            )
            await opd_service.create_service(
                db_session=s, agency=bpbd, code="ews", name="EWS Banjir", expected_interval_s=600
            )
            s.add(
                Camera(
                    code="cctv-simpang-kawat",
                    name="Simpang Kawat",
                    url="sim://test",
                    lat=-1.62,
                    lon=103.60,
                    kecamatan="Jelutung",
                )
            )
            key = await auth_service.create_api_key(db_session=s, agency=dishub)
            kiosk = await auth_service.create_kiosk_token(db_session=s, name="dinding-test")
            for name, role in (("opa", Role.operator), ("supa", Role.supervisor)):
                await auth_service.create_user(
                    db_session=s, username=name, password=PASSWORD, role=role
                )
            incident = await incident_service.create(
                db_session=s,
                data=IncidentIn(
                    title="Genangan air di Jl. Sultan Thaha",
                    severity=1,
                    category="flood",
                    kecamatan="Pasar Jambi",
                    lat=-1.5893,
                    lon=103.6129,
                    agency="bpbd",
                ),
                source=IncidentSource.operator,
                actor="user:test",
                now=utcnow(),
            )
            incident_service.discard_pending(s)
            return Seeded(kiosk=kiosk.token, api_key=key.token, incident_id=incident.id)
    finally:
        await engine.dispose()


def status_event(status: str, n: int) -> dict[str, Any]:
    """One OPD status push body."""
    return {
        "events": [
            {"service": "atcs", "status": status, "time": utcnow().isoformat(), "id": f"t-{n}"}
        ]
    }
