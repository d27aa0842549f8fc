"""KPI routes: list with latest values (viewer), samples history (viewer), create (admin)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status

from jcoc.auth.deps import Admin, CurrentViewer
from jcoc.db.base import utcnow
from jcoc.db.deps import SessionDep
from jcoc.kpi import service
from jcoc.kpi.schemas import KpiIn, KpiOut, SampleOut
from jcoc.opd import service as opd_service

router = APIRouter(prefix="/api/v1", tags=["kpis"])

_DURATION = re.compile(r"^(\d{1,7})([smhd]?)$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@router.get("/kpis", response_model=list[KpiOut], summary="KPIs with their latest value")
async def list_kpis(db_session: SessionDep, _viewer: CurrentViewer) -> Any:
    """Every KPI, its latest value and level (ok/warn/crit/stale/unknown)."""
    latest = await service.latest_samples(db_session=db_session)
    now = utcnow()
    out = []
    for kpi, agency in await service.list_kpis(db_session=db_session):
        sample = latest.get(kpi.id)
        value = sample.value if sample else None
        time = sample.time if sample else None
        out.append(
            KpiOut(
                code=kpi.code,
                name=kpi.name,
                agency=agency,
                unit=kpi.unit,
                warn_at=kpi.warn_at,
                crit_at=kpi.crit_at,
                higher_is_worse=kpi.higher_is_worse,
                expected_interval_s=kpi.expected_interval_s,
                value=value,
                time=time,
                level=service.level(kpi, value, time, now),
            )
        )
    return out


@router.post("/kpis", status_code=201, summary="Add a KPI")
async def create_kpi(
    body: KpiIn, request: Request, db_session: SessionDep, _admin: Admin
) -> dict[str, str]:
    """Create a KPI owned by an agency (admin)."""
    agency = await opd_service.get_agency_by_code(db_session=db_session, code=body.agency)
    if agency is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no agency {body.agency!r}")
    if await service.get_kpi_by_code(db_session=db_session, code=body.code):
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"KPI {body.code!r} exists")
    fields = body.model_dump(exclude={"agency", "code", "name"})
    await service.create_kpi(
        db_session=db_session, agency=agency, code=body.code, name=body.name, **fields
    )
    await db_session.commit()
    await request.app.state.bus.publish(
        "entity", {"kind": "kpi", "code": body.code, "action": "created"}
    )
    return {"code": body.code, "agency": agency.code}


@router.get("/kpis/{code}/samples", response_model=list[SampleOut], summary="Values of one KPI")
async def kpi_samples(
    code: str,
    db_session: SessionDep,
    _viewer: CurrentViewer,
    start: Annotated[
        datetime | None, Query(alias="from", description="Default: 24 h before `to`.")
    ] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Default: now.")] = None,
    bucket: Annotated[
        str | None,
        Query(max_length=10, description="Bucket width: seconds or `30s`, `5m`, `1h`, `1d`."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 2000,
) -> Any:
    """Raw samples oldest first, or with `bucket` the average/min/max/count per bucket."""
    kpi = await service.get_kpi_by_code(db_session=db_session, code=code)
    if kpi is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no KPI {code!r}")
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise HTTPException(
                422,
                detail=f"query parameter {name!r} needs a time zone, e.g. 2026-11-22T10:00+07:00",
            )
    end = end or utcnow()
    start = start or end - timedelta(hours=24)
    return await service.samples(
        db_session=db_session,
        kpi_id=kpi.id,
        start=start,
        end=end,
        bucket=_bucket(bucket),
        limit=limit,
    )


def _bucket(text: str | None) -> timedelta | None:
    if not text:
        return None
    match = _DURATION.match(text.strip())
    seconds = int(match.group(1)) * _UNIT[match.group(2)] if match else 0
    if not match or seconds <= 0 or seconds > 366 * 86400:
        raise HTTPException(
            422,
            detail=f"bucket {text!r} is not a duration like 60, 30s, 5m, 1h or 1d",
        )
    return timedelta(seconds=seconds)
