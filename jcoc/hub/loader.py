"""Building the hub's facts from the database (at start, after an outage, on registry changes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.camera.models import Camera, CameraMetric
from jcoc.db.dialect import time_bucket
from jcoc.hub.model import (
    BUCKET,
    OPEN_INCIDENT_STATUSES,
    TREND_POINTS,
    WINDOW,
    CameraFacts,
    CityFacts,
    IncidentFacts,
    KpiFacts,
    ServiceFacts,
)
from jcoc.incident.models import Incident
from jcoc.kpi.models import KpiDefinition, KpiSample
from jcoc.opd.models import Agency, Service
from jcoc.status.models import StatusEvent


async def load_city(*, db_session: AsyncSession, now: datetime) -> CityFacts:
    """Everything the wall shows, read in one session (indexed queries only)."""
    facts = CityFacts()
    agencies = (await db_session.execute(select(Agency.id, Agency.code, Agency.name))).all()
    code_of = {a.id: a.code for a in agencies}
    facts.agencies = {a.code: a.name for a in agencies}
    await _load_services(db_session, facts, code_of, now)
    await _load_kpis(db_session, facts, code_of)
    await _load_cameras(db_session, facts)
    await _load_incidents(db_session, facts, code_of)
    return facts


async def _load_services(
    db: AsyncSession, facts: CityFacts, code_of: dict[int, str], now: datetime
) -> None:
    services = (await db.scalars(select(Service))).all()
    by_id: dict[int, ServiceFacts] = {}
    for svc in services:
        by_id[svc.id] = facts.services[svc.code] = ServiceFacts(
            code=svc.code,
            name=svc.name,
            agency=code_of.get(svc.agency_id, ""),
            expected_interval_s=svc.expected_interval_s,
        )
    for service_id, s in by_id.items():
        last = (
            await db.execute(
                select(StatusEvent)
                .where(StatusEvent.service_id == service_id)
                .order_by(StatusEvent.time.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if last is not None:
            s.reported, s.time = last.status, last.time
            s.message, s.latency_ms = last.message, last.latency_ms
    bucket = time_bucket(BUCKET, StatusEvent.time)
    rows = await db.execute(
        select(
            StatusEvent.service_id,
            bucket.label("bucket"),
            func.max(case((StatusEvent.status == "down", 1), else_=0)).label("down"),
        )
        .where(StatusEvent.time >= now - WINDOW - BUCKET)
        .group_by(StatusEvent.service_id, bucket)
    )
    for service_id, start, down in rows:
        if service_id in by_id:
            by_id[service_id].buckets[start] = bool(down)


async def _load_kpis(db: AsyncSession, facts: CityFacts, code_of: dict[int, str]) -> None:
    for k in (await db.scalars(select(KpiDefinition))).all():
        kf = facts.kpis[k.code] = KpiFacts(
            code=k.code,
            name=k.name,
            agency=code_of.get(k.agency_id, ""),
            unit=k.unit,
            warn_at=k.warn_at,
            crit_at=k.crit_at,
            higher_is_worse=k.higher_is_worse,
            expected_interval_s=k.expected_interval_s,
        )
        rows = await db.execute(
            select(KpiSample.time, KpiSample.value)
            .where(KpiSample.kpi_id == k.id)
            .order_by(KpiSample.time.desc())
            .limit(TREND_POINTS)
        )
        for time, value in reversed(rows.all()):
            kf.add(time, value)


async def _load_cameras(db: AsyncSession, facts: CityFacts) -> None:
    for cam in (await db.scalars(select(Camera).where(Camera.enabled.is_(True)))).all():
        cf = facts.cameras[cam.code] = CameraFacts(
            code=cam.code,
            name=cam.name,
            kecamatan=cam.kecamatan,
            lat=cam.lat,
            lon=cam.lon,
            sample_fps=cam.sample_fps,
        )
        last = (
            await db.execute(
                select(CameraMetric)
                .where(CameraMetric.camera_id == cam.id)
                .order_by(CameraMetric.time.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if last is not None:
            cf.time, cf.health, cf.online = last.time, last.health, last.online
            cf.fps, cf.motion = last.fps, last.motion


async def _load_incidents(db: AsyncSession, facts: CityFacts, code_of: dict[int, str]) -> None:
    rows = await db.scalars(select(Incident).where(Incident.status.in_(OPEN_INCIDENT_STATUSES)))
    for inc in rows.all():
        facts.incidents[str(inc.id)] = IncidentFacts(
            id=str(inc.id),
            title=inc.title,
            category=inc.category,
            severity=inc.severity,
            status=inc.status,
            agency=code_of.get(inc.agency_id) if inc.agency_id is not None else None,
            kecamatan=inc.kecamatan,
            lat=inc.lat,
            lon=inc.lon,
            opened_at=inc.opened_at,
            acknowledged_at=inc.acknowledged_at,
            ack_due_at=inc.ack_due_at,
            resolve_due_at=inc.resolve_due_at,
        )
