"""Read routes for services: current derived status and status history (viewer auth)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select

from jcoc.auth.deps import CurrentViewer
from jcoc.db.base import utcnow
from jcoc.db.deps import SessionDep
from jcoc.opd.models import Agency, ProbeKind, Service
from jcoc.opd.schemas import safe_target
from jcoc.status import service as status_service
from jcoc.status.models import StatusEvent
from jcoc.status.schemas import ProbeOut, ServiceStatusOut, StatusEventOut

router = APIRouter(prefix="/api/v1", tags=["services"])


def _out(svc: Service, agency: Agency, event: StatusEvent | None, now: datetime) -> Any:
    derived = status_service.derive_status(
        reported=event.status if event else None,
        last_time=event.time if event else None,
        expected_interval_s=svc.expected_interval_s,
        now=now,
    )
    probe = None
    if svc.probe_kind != ProbeKind.none:
        probe = ProbeOut(
            kind=svc.probe_kind,
            target=safe_target(svc.probe_target),
            interval_s=svc.probe_interval_s,
            timeout_s=svc.probe_timeout_s,
            retries=svc.probe_retries,
            expect_status=svc.probe_expect_status,
            keyword=svc.probe_keyword,
        )
    return ServiceStatusOut(
        code=svc.code,
        name=svc.name,
        description=svc.description,
        agency=agency.code,
        agency_name=agency.name,
        status=derived,
        reported_status=event.status if event else None,
        last_time=event.time if event else None,
        received_at=event.received_at if event else None,
        message=event.message if event else "",
        latency_ms=event.latency_ms if event else None,
        source=event.source if event else None,
        stale_since=status_service.stale_since(
            last_time=event.time if event else None, expected_interval_s=svc.expected_interval_s
        ),
        expected_interval_s=svc.expected_interval_s,
        grace_s=svc.grace_s,
        probe=probe,
    )


@router.get("/services", response_model=list[ServiceStatusOut], summary="Services and status")
async def list_services(
    db_session: SessionDep,
    _viewer: CurrentViewer,
    agency: Annotated[str | None, Query(max_length=64, description="Only this agency.")] = None,
) -> Any:
    """Every service with its current derived status (`stale` after silence)."""
    query = select(Service, Agency).join(Agency, Agency.id == Service.agency_id)
    if agency:
        query = query.where(Agency.code == agency)
    rows = (await db_session.execute(query.order_by(Service.code))).all()
    latest = await status_service.latest_events(
        db_session=db_session, service_ids=[s.id for s, _ in rows]
    )
    now = utcnow()
    return [_out(svc, ag, latest.get(svc.id), now) for svc, ag in rows]


async def _service(db_session: Any, code: str) -> tuple[Service, Agency]:
    row = (
        await db_session.execute(
            select(Service, Agency)
            .join(Agency, Agency.id == Service.agency_id)
            .where(Service.code == code)
        )
    ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no service {code!r}")
    return row[0], row[1]


@router.get("/services/{code}", response_model=ServiceStatusOut, summary="One service")
async def get_service(code: str, db_session: SessionDep, _viewer: CurrentViewer) -> Any:
    """One service with its current derived status."""
    svc, agency = await _service(db_session, code)
    latest = await status_service.latest_events(db_session=db_session, service_ids=[svc.id])
    return _out(svc, agency, latest.get(svc.id), utcnow())


@router.get(
    "/services/{code}/history",
    response_model=list[StatusEventOut],
    summary="Status events of one service",
)
async def service_history(
    code: str,
    db_session: SessionDep,
    _viewer: CurrentViewer,
    start: Annotated[
        datetime | None, Query(alias="from", description="Default: 24 h before `to`.")
    ] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Default: now.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Any:
    """Status events in [from, to), newest first."""
    svc, _agency = await _service(db_session, code)
    end = _aware(end, "to") or utcnow()
    start = _aware(start, "from") or end - timedelta(hours=24)
    return await status_service.history(
        db_session=db_session, service_id=svc.id, start=start, end=end, limit=limit
    )


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise HTTPException(
            422,
            detail=f"query parameter {name!r} needs a time zone, e.g. 2026-11-22T10:00:00+07:00",
        )
    return value
