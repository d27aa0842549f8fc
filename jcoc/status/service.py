"""Service status: what a stored status means now (silence makes it stale)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.opd.models import Service
from jcoc.status.models import DerivedStatus, StatusEvent


def derive_status(
    *, reported: str | None, last_time: datetime | None, expected_interval_s: int, now: datetime
) -> DerivedStatus:
    """The status the wall shows: `unknown` before any report, `stale` after silence."""
    if reported is None or last_time is None:
        return DerivedStatus.unknown
    if now - last_time > timedelta(seconds=expected_interval_s):
        return DerivedStatus.stale
    return DerivedStatus(reported)


def stale_since(*, last_time: datetime | None, expected_interval_s: int) -> datetime | None:
    """When a service that last reported at `last_time` became (or will become) stale."""
    if last_time is None:
        return None
    return last_time + timedelta(seconds=expected_interval_s)


async def latest_events(
    *, db_session: AsyncSession, service_ids: Sequence[int] | None = None
) -> dict[int, StatusEvent]:
    """The most recent status event of each service (by service id)."""
    last_time = (
        select(func.max(StatusEvent.time))
        .where(StatusEvent.service_id == Service.id)
        .correlate(Service)
        .scalar_subquery()
    )
    query = select(StatusEvent).join(
        Service, (StatusEvent.service_id == Service.id) & (StatusEvent.time == last_time)
    )
    if service_ids is not None:
        query = query.where(Service.id.in_(service_ids))
    latest: dict[int, StatusEvent] = {}
    for event in (await db_session.scalars(query)).all():
        latest.setdefault(event.service_id, event)
    return latest


async def history(
    *, db_session: AsyncSession, service_id: int, start: datetime, end: datetime, limit: int
) -> Sequence[StatusEvent]:
    """Status events of one service in [start, end), newest first."""
    query = (
        select(StatusEvent)
        .where(
            StatusEvent.service_id == service_id,
            StatusEvent.time >= start,
            StatusEvent.time < end,
        )
        .order_by(StatusEvent.time.desc())
        .limit(limit)
    )
    return (await db_session.scalars(query)).all()
