"""What automatic incidents (services, cameras) share: one incident per fault, keyed by source."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.incident import service
from jcoc.incident.models import Incident

ACTIVE = [str(s) for s in service.ACTIVE]


async def latest(db_session: AsyncSession, key: str) -> Incident | None:
    """The newest automatic incident with `auto_key` `key`, open or not."""
    return await db_session.scalar(
        select(Incident).where(Incident.auto_key == key).order_by(Incident.id.desc()).limit(1)
    )


def is_open(incident: Incident | None) -> bool:
    return incident is not None and incident.status in ACTIVE


def covers(incident: Incident | None, since: datetime) -> bool:
    """Whether `incident` already stands for a fault that began at `since`.

    One incident per fault, even if a person resolved it meanwhile.
    """
    return incident is not None and (
        incident.status in ACTIVE
        or (incident.resolved_at is not None and incident.resolved_at >= since)
    )


async def resolve(
    db_session: AsyncSession, incident: Incident | None, now: datetime, comment: str
) -> None:
    """Resolve `incident` as the system if it is still open (the source recovered)."""
    if incident is not None and incident.status in ACTIVE:
        await service.act(
            db_session=db_session,
            incident=incident,
            action="resolve",
            actor="system",
            now=now,
            comment=comment,
            data={"automatic": True},
        )


def parse_time(value: Any) -> datetime | None:
    """An aware datetime from a bus message's ISO string; None if absent, bad or naive."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
