"""Incident routes: create, query, CSV, lifecycle actions, SLA policies, daily report.

Shapes and roles are documented in docs/incidents.md.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jcoc import geo
from jcoc.audit import service as audit
from jcoc.auth.deps import CurrentViewer, Operator, Principal, Supervisor
from jcoc.db.deps import SessionDep
from jcoc.incident import query, report, service
from jcoc.incident.deps import Clock, Reporter
from jcoc.incident.models import Category, IncidentSource, IncidentStatus, SlaPolicy
from jcoc.incident.schemas import (
    ActionIn,
    DailyReport,
    IncidentDetail,
    IncidentIn,
    IncidentPage,
    SlaPolicyIn,
    SlaPolicyOut,
)

router = APIRouter(prefix="/api/v1", tags=["incidents"])

CSV_LIMIT = 10_000
CSV_COLUMNS = [
    "id", "opened_at", "title", "category", "severity", "status", "source", "kecamatan",
    "lat", "lon", "agency", "assignee", "acknowledged_at", "resolved_at", "closed_at",
    "ack_due_at", "resolve_due_at", "sla_state", "created_by", "external_id",
]  # fmt: skip


def _http(exc: service.IncidentError) -> HTTPException:
    return HTTPException(exc.status_code, detail=str(exc))


async def _detail(db_session: SessionDep, incident_id: int, now: Any) -> dict[str, Any]:
    incident = await query.get(db_session=db_session, incident_id=incident_id)
    if incident is None:
        raise HTTPException(404, detail=f"incident {incident_id} not found")
    body = await query.to_json(db_session=db_session, incident=incident, now=now)
    events = await query.timeline(db_session=db_session, incident_id=incident_id)
    body["timeline"] = [query.event_json(e) for e in events]
    return body


def _filter(
    status: Annotated[list[IncidentStatus] | None, Query()] = None,
    severity: Annotated[list[int] | None, Query()] = None,
    category: Category | None = None,
    agency: str | None = None,
    kecamatan: str | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> query.IncidentFilter:
    if severity and any(s not in (1, 2, 3, 4) for s in severity):
        raise HTTPException(422, detail="'severity' must be 1, 2, 3 or 4")
    if kecamatan:
        try:
            kecamatan = geo.canonical_kecamatan(kecamatan)
        except ValueError as exc:
            raise HTTPException(422, detail=f"'kecamatan': {exc}") from None
    return query.IncidentFilter(
        status=[str(s) for s in status] if status else None,
        severity=severity,
        category=str(category) if category else None,
        agency=agency,
        kecamatan=kecamatan,
        since=since,
        until=until,
    )


FilterDep = Annotated[query.IncidentFilter, Depends(_filter)]


@router.post(
    "/incidents",
    response_model=IncidentDetail,
    status_code=201,
    summary="Open an incident (Buat insiden)",
    responses={200: {"description": "Already sent: the existing incident (same external_id)"}},
)
async def create_incident(
    body: IncidentIn, request: Request, db_session: SessionDep, principal: Reporter, clock: Clock
) -> Any:
    now = clock()
    agency = principal.agency
    if agency is not None and body.agency and body.agency != agency.code:
        raise HTTPException(
            403, detail=f"an API key of '{agency.code}' may not open incidents for '{body.agency}'"
        )
    if agency is not None and body.external_id:
        existing = await service.find_by_external_id(
            db_session=db_session, agency_id=agency.id, external_id=body.external_id
        )
        if existing is not None:
            return JSONResponse(await _detail_json(db_session, existing.id, now), status_code=200)
    source = IncidentSource.agency if agency is not None else IncidentSource.operator
    try:
        incident = await service.create(
            db_session=db_session, data=body, source=source, actor=principal.actor, now=now,
            agency=agency,
        )  # fmt: skip
        await audit.record(
            db_session=db_session,
            principal_or_actor=principal,
            action="incident.create",
            target=f"incident:{incident.id}",
            request=request,
            detail={"title": body.title, "severity": body.severity, "source": str(source)},
            now=now,
        )
        await db_session.commit()
    except service.IncidentError as exc:
        await db_session.rollback()
        service.discard_pending(db_session)
        raise _http(exc) from None
    except IntegrityError:
        # The same external_id arrived twice at once: the other request won; answer with it.
        await db_session.rollback()
        service.discard_pending(db_session)
        if agency is None or not body.external_id:
            raise
        existing = await service.find_by_external_id(
            db_session=db_session, agency_id=agency.id, external_id=body.external_id
        )
        if existing is None:
            raise
        return JSONResponse(await _detail_json(db_session, existing.id, now), status_code=200)
    await service.publish_pending(db_session=db_session, bus=request.app.state.bus)
    return await _detail(db_session, incident.id, now)


async def _detail_json(db_session: SessionDep, incident_id: int, now: Any) -> Any:
    return IncidentDetail.model_validate(await _detail(db_session, incident_id, now)).model_dump(
        mode="json"
    )


@router.get("/incidents", response_model=IncidentPage, summary="Incidents (Daftar insiden)")
async def list_incidents(
    db_session: SessionDep,
    _: CurrentViewer,
    clock: Clock,
    flt: FilterDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    rows, total = await query.search(db_session=db_session, flt=flt, limit=limit, offset=offset)
    items = await query.to_json_many(db_session=db_session, incidents=rows, now=clock())
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/incidents.csv", summary="Incidents as CSV (Ekspor CSV)")
async def export_csv(db_session: SessionDep, _: Operator, clock: Clock, flt: FilterDep) -> Response:
    rows, _total = await query.search(db_session=db_session, flt=flt, limit=CSV_LIMIT, offset=0)
    items = await query.to_json_many(db_session=db_session, incidents=rows, now=clock())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        flat = {
            **item,
            "ack_due_at": item["sla"]["ack_due_at"],
            "resolve_due_at": item["sla"]["resolve_due_at"],
            "sla_state": item["sla"]["state"],
        }
        writer.writerow(["" if flat[c] is None else flat[c] for c in CSV_COLUMNS])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="insiden.csv"'},
    )


@router.get("/incidents/{incident_id}", response_model=IncidentDetail, summary="One incident")
async def get_incident(
    incident_id: int, db_session: SessionDep, _: CurrentViewer, clock: Clock
) -> dict[str, Any]:
    return await _detail(db_session, incident_id, clock())


async def _act(
    *,
    action: str,
    incident_id: int,
    body: ActionIn,
    request: Request,
    db_session: SessionDep,
    principal: Principal,
    now: Any,
) -> dict[str, Any]:
    try:
        incident = await service.lock(db_session=db_session, incident_id=incident_id)
        await service.act(
            db_session=db_session,
            incident=incident,
            action=action,
            actor=principal.actor,
            now=now,
            comment=body.comment,
            assignee=body.assignee,
        )
        await audit.record(
            db_session=db_session,
            principal_or_actor=principal,
            action=f"incident.{action}",
            target=f"incident:{incident_id}",
            request=request,
            detail=body.model_dump(exclude_defaults=True),
            now=now,
        )
        await db_session.commit()
    except service.IncidentError as exc:
        await db_session.rollback()
        service.discard_pending(db_session)
        raise _http(exc) from None
    await service.publish_pending(db_session=db_session, bus=request.app.state.bus)
    return await _detail(db_session, incident_id, now)


def _action_route(action: str, role: Any, summary: str) -> None:
    async def handler(
        incident_id: int,
        request: Request,
        db_session: SessionDep,
        principal: role,  # type: ignore[valid-type]
        clock: Clock,
        body: ActionIn | None = None,
    ) -> dict[str, Any]:
        return await _act(
            action=action,
            incident_id=incident_id,
            body=body or ActionIn(),
            request=request,
            db_session=db_session,
            principal=principal,
            now=clock(),
        )

    # Annotations are strings here (PEP 563); give FastAPI the real role dependency.
    handler.__annotations__["principal"] = role
    handler.__name__ = f"incident_{action}"
    router.add_api_route(
        f"/incidents/{{incident_id}}/{action}",
        handler,
        methods=["POST"],
        response_model=IncidentDetail,
        summary=summary,
        responses={409: {"description": "Not allowed from the incident's current status"}},
    )


for _action, _role, _summary in (
    ("acknowledge", Operator, "Acknowledge (Akui)"),
    ("start", Operator, "Start work (Mulai tangani)"),
    ("comment", Operator, "Comment (Komentar)"),
    ("assign", Supervisor, "Assign (Tugaskan)"),
    ("resolve", Supervisor, "Resolve (Selesaikan)"),
    ("close", Supervisor, "Close (Tutup)"),
    ("reopen", Supervisor, "Reopen (Buka kembali)"),
):
    _action_route(_action, _role, _summary)


@router.get("/sla", response_model=list[SlaPolicyOut], summary="SLA policies")
async def list_sla(db_session: SessionDep, _: CurrentViewer) -> list[SlaPolicy]:
    return list((await db_session.scalars(select(SlaPolicy).order_by(SlaPolicy.severity))).all())


@router.put("/sla/{severity}", response_model=SlaPolicyOut, summary="Change an SLA policy")
async def put_sla(
    severity: Annotated[int, Path(ge=1, le=4)],
    body: SlaPolicyIn,
    request: Request,
    db_session: SessionDep,
    principal: Supervisor,
) -> SlaPolicy:
    policy = await service.set_policy(db_session=db_session, severity=severity, **body.model_dump())
    await audit.record(
        db_session=db_session,
        principal_or_actor=principal,
        action="sla.update",
        target=f"sla:{severity}",
        request=request,
        detail=body.model_dump(),
    )
    await db_session.commit()
    return policy


@router.get("/reports/daily", response_model=DailyReport, summary="Daily figures (Laporan harian)")
async def daily_report(
    request: Request,
    db_session: SessionDep,
    _: Operator,
    clock: Clock,
    day: Annotated[date | None, Query(alias="date", description="A WIB day, YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    settings = request.app.state.settings
    now = clock()
    day = day or now.astimezone(settings.tz).date()
    return await report.daily(db_session=db_session, day=day, tz=settings.tz, now=now)
