"""Reading incidents: filters, pages, the JSON shape (with links and SLA state), timelines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.auth.models import User
from jcoc.camera.models import Camera
from jcoc.incident import sla
from jcoc.incident.models import Incident, IncidentEvent, IncidentLink
from jcoc.opd.models import Agency, Service


@dataclass
class IncidentFilter:
    status: list[str] | None = None
    severity: list[int] | None = None
    category: str | None = None
    agency: str | None = None
    kecamatan: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(f: IncidentFilter) -> Select[Any]:
    query = select(Incident)
    if f.status:
        query = query.where(Incident.status.in_(f.status))
    if f.severity:
        query = query.where(Incident.severity.in_(f.severity))
    if f.category:
        query = query.where(Incident.category == f.category)
    if f.agency:
        query = query.join(Agency, Agency.id == Incident.agency_id).where(Agency.code == f.agency)
    if f.kecamatan:
        query = query.where(Incident.kecamatan == f.kecamatan)
    if f.since:
        query = query.where(Incident.opened_at >= f.since)
    if f.until:
        query = query.where(Incident.opened_at < f.until)
    return query


async def search(
    *, db_session: AsyncSession, flt: IncidentFilter, limit: int, offset: int
) -> tuple[Sequence[Incident], int]:
    """Incidents matching `flt`, newest first, and the total count."""
    query = _filtered(flt)
    total = await db_session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await db_session.scalars(
        query.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit).offset(offset)
    )
    return rows.all(), int(total or 0)


async def get(*, db_session: AsyncSession, incident_id: int) -> Incident | None:
    """One incident by id."""
    return await db_session.get(Incident, incident_id)


async def timeline(*, db_session: AsyncSession, incident_id: int) -> Sequence[IncidentEvent]:
    """An incident's timeline, oldest first."""
    return (
        await db_session.scalars(
            select(IncidentEvent)
            .where(IncidentEvent.incident_id == incident_id)
            .order_by(IncidentEvent.seq)
        )
    ).all()


async def to_json_many(
    *, db_session: AsyncSession, incidents: Sequence[Incident], now: datetime
) -> list[dict[str, Any]]:
    """The documented JSON shape of several incidents (related rows loaded in batches)."""
    if not incidents:
        return []
    ids = [i.id for i in incidents]
    agency_ids = {i.agency_id for i in incidents if i.agency_id}
    user_ids = {i.assignee_id for i in incidents if i.assignee_id}
    agencies = (
        dict(
            (
                await db_session.execute(
                    select(Agency.id, Agency.code).where(Agency.id.in_(agency_ids))
                )
            ).all()
        )
        if agency_ids
        else {}
    )
    users = (
        dict(
            (
                await db_session.execute(
                    select(User.id, User.username).where(User.id.in_(user_ids))
                )
            ).all()
        )
        if user_ids
        else {}
    )
    links = (
        await db_session.scalars(select(IncidentLink).where(IncidentLink.incident_id.in_(ids)))
    ).all()
    cam_ids = {lk.target_id for lk in links if lk.kind == "camera"}
    svc_ids = {lk.target_id for lk in links if lk.kind == "service"}
    cams = (
        {c.id: c for c in await db_session.scalars(select(Camera).where(Camera.id.in_(cam_ids)))}
        if cam_ids
        else {}
    )
    svcs = (
        {s.id: s for s in await db_session.scalars(select(Service).where(Service.id.in_(svc_ids)))}
        if svc_ids
        else {}
    )
    by_incident: dict[int, dict[str, list[dict[str, str]]]] = {
        i: {"cameras": [], "services": []} for i in ids
    }
    for lk in sorted(links, key=lambda lk: (lk.kind, lk.target_id)):
        if lk.kind == "camera" and lk.target_id in cams:
            cam = cams[lk.target_id]
            by_incident[lk.incident_id]["cameras"].append(
                {
                    "code": cam.code,
                    "name": cam.name,
                    "snapshot_url": f"/cameras/{cam.code}/snapshot.jpg",
                }
            )
        elif lk.kind == "service" and lk.target_id in svcs:
            svc = svcs[lk.target_id]
            by_incident[lk.incident_id]["services"].append({"code": svc.code, "name": svc.name})
    return [
        _json(
            i, agencies.get(i.agency_id or 0), users.get(i.assignee_id or 0), by_incident[i.id], now
        )
        for i in incidents
    ]


async def to_json(*, db_session: AsyncSession, incident: Incident, now: datetime) -> dict[str, Any]:
    """The documented JSON shape of one incident (without its timeline)."""
    return (await to_json_many(db_session=db_session, incidents=[incident], now=now))[0]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _json(
    i: Incident,
    agency: str | None,
    assignee: str | None,
    links: dict[str, list[dict[str, str]]],
    now: datetime,
) -> dict[str, Any]:
    state = sla.sla_state(i, now)
    return {
        "id": i.id,
        "title": i.title,
        "description": i.description,
        "category": i.category,
        "severity": i.severity,
        "status": i.status,
        "source": i.source,
        "lat": i.lat,
        "lon": i.lon,
        "kecamatan": i.kecamatan,
        "agency": agency,
        "external_id": i.external_id,
        "auto_key": i.auto_key,
        "assignee": assignee,
        "created_by": i.created_by,
        "opened_at": _iso(i.opened_at),
        "acknowledged_at": _iso(i.acknowledged_at),
        "resolved_at": _iso(i.resolved_at),
        "closed_at": _iso(i.closed_at),
        "updated_at": _iso(i.updated_at),
        "sla": {
            k: _iso(v) if isinstance(v, datetime) or v is None else v for k, v in state.items()
        },
        "links": links,
    }


def event_json(event: IncidentEvent) -> dict[str, Any]:
    """One timeline entry as JSON."""
    return {
        "time": event.time.isoformat(),
        "seq": event.seq,
        "kind": event.kind,
        "actor": event.actor,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "comment": event.comment,
        "data": event.data or {},
    }
