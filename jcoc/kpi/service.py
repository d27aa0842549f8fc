"""KPI definitions, latest values and bucketed history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.db import dialect
from jcoc.kpi.models import KpiDefinition, KpiSample
from jcoc.opd.models import Agency


async def get_kpi_by_code(*, db_session: AsyncSession, code: str) -> KpiDefinition | None:
    """A KPI by its code."""
    return await db_session.scalar(select(KpiDefinition).where(KpiDefinition.code == code))


async def create_kpi(
    *, db_session: AsyncSession, agency: Agency, code: str, name: str, **fields: Any
) -> KpiDefinition:
    """Create a KPI owned by `agency`; extra fields are KpiDefinition columns."""
    kpi = KpiDefinition(agency_id=agency.id, code=code, name=name, **fields)
    db_session.add(kpi)
    await db_session.flush()
    return kpi


async def list_kpis(*, db_session: AsyncSession) -> Sequence[tuple[KpiDefinition, str]]:
    """Every KPI with its agency's code, by code."""
    rows = await db_session.execute(
        select(KpiDefinition, Agency.code)
        .join(Agency, Agency.id == KpiDefinition.agency_id)
        .order_by(KpiDefinition.code)
    )
    return [(k, a) for k, a in rows]


async def latest_samples(*, db_session: AsyncSession) -> dict[int, KpiSample]:
    """The most recent sample of each KPI."""
    last_time = (
        select(func.max(KpiSample.time))
        .where(KpiSample.kpi_id == KpiDefinition.id)
        .correlate(KpiDefinition)
        .scalar_subquery()
    )
    query = select(KpiSample).join(
        KpiDefinition, (KpiSample.kpi_id == KpiDefinition.id) & (KpiSample.time == last_time)
    )
    latest: dict[int, KpiSample] = {}
    for sample in (await db_session.scalars(query)).all():
        latest.setdefault(sample.kpi_id, sample)
    return latest


def level(kpi: KpiDefinition, value: float | None, time: datetime | None, now: datetime) -> str:
    """ok / warn / crit by the KPI's thresholds; stale after silence; unknown before data."""
    if value is None or time is None:
        return "unknown"
    if now - time > timedelta(seconds=kpi.expected_interval_s):
        return "stale"

    def beyond(threshold: float | None) -> bool:
        if threshold is None:
            return False
        return value >= threshold if kpi.higher_is_worse else value <= threshold

    if beyond(kpi.crit_at):
        return "crit"
    if beyond(kpi.warn_at):
        return "warn"
    return "ok"


async def samples(
    *,
    db_session: AsyncSession,
    kpi_id: int,
    start: datetime,
    end: datetime,
    bucket: timedelta | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Samples in [start, end) oldest first, or per-bucket avg/min/max/count."""
    where = (KpiSample.kpi_id == kpi_id, KpiSample.time >= start, KpiSample.time < end)
    if bucket is None:
        rows = await db_session.execute(
            select(KpiSample.time, KpiSample.value)
            .where(*where)
            .order_by(KpiSample.time)
            .limit(limit)
        )
        return [{"time": t, "value": v} for t, v in rows]
    b = dialect.time_bucket(bucket, KpiSample.time).label("bucket")
    rows2 = await db_session.execute(
        select(
            b,
            func.avg(KpiSample.value),
            func.min(KpiSample.value),
            func.max(KpiSample.value),
            func.count(),
        )
        .where(*where)
        .group_by(b)
        .order_by(b)
        .limit(limit)
    )
    return [
        {"time": t, "value": float(avg), "min": lo, "max": hi, "count": n}
        for t, avg, lo, hi, n in rows2
    ]
