"""Seed data for the dashboard tests, written through the domain services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.auth import service as auth_service
from jcoc.auth.models import Role
from jcoc.camera.models import Camera
from jcoc.config import Settings
from jcoc.db.base import utcnow
from jcoc.db.engine import create_engine, detect_flavor, session_factory, transaction
from jcoc.incident import service as incident_service
from jcoc.incident.models import IncidentSource
from jcoc.incident.schemas import IncidentIn
from jcoc.kpi import service as kpi_service
from jcoc.kpi.models import KpiSample
from jcoc.opd import service as opd_service
from jcoc.opd.models import Agency

PASSWORD = "rahasia-123"
# A city the size of the demo (40 services in 11 agencies, 23 KPIs, 18 cameras), so the wall
# tests check that everything fits on one 1920x1080 screen.
EXTRA_AGENCIES = (
    "bpkad",
    "damkar",
    "dinkes",
    "diskominfo",
    "dlh",
    "dpmptsp",
    "dukcapil",
    "pdam",
    "satpolpp",
)
N_SERVICES = 40
N_KPIS = 23
N_CAMERAS = 18
BIG_KPI = "kpi-00"  # value 4334: shown as "4.334" (ID) / "4,334" (EN)


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
            await _fill_city(s, dishub)
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


async def _fill_city(s: AsyncSession, dishub: Agency) -> None:
    """Filler services, KPIs with one sample each, cheap sim cameras."""
    agencies = [dishub] + [
        await opd_service.create_agency(db_session=s, code=code, name=code.upper())
        for code in EXTRA_AGENCIES
    ]
    for n in range(N_SERVICES - 2):  # atcs and ews are the other two
        await opd_service.create_service(
            db_session=s,
            agency=agencies[n % len(agencies)],
            code=f"layanan-{n:02d}",
            name=f"Layanan kota nomor {n}",
            expected_interval_s=3600,
        )
    now = utcnow()
    for n in range(N_KPIS):
        kpi = await kpi_service.create_kpi(
            db_session=s,
            agency=agencies[n % len(agencies)],
            code=f"kpi-{n:02d}",
            name=f"Indikator kota dengan nama panjang {n}",
            unit="kend/jam" if n == 0 else "unit",
            expected_interval_s=3600,
        )
        s.add(
            KpiSample(
                time=now,
                kpi_id=kpi.id,
                sample_id=f"seed-{n}",
                value=4334.0 if n == 0 else n + 0.5,
                received_at=now,
            )
        )
    for n in range(N_CAMERAS - 1):  # cctv-simpang-kawat is the other one
        s.add(
            Camera(
                code=f"cctv-{n:02d}",
                name=f"Kamera {n}",
                url=f"sim://test?seed={n}&fps=1&w=160&h=90",  # cheap: 18 cameras on 2 cores
                lat=-1.60 - n * 0.003,
                lon=103.58 + n * 0.003,
                kecamatan="Jelutung",
            )
        )


def status_event(status: str, n: int) -> dict[str, Any]:
    """One OPD status push body."""
    return {
        "events": [
            {"service": "atcs", "status": status, "time": utcnow().isoformat(), "id": f"t-{n}"}
        ]
    }
