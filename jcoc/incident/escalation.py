"""The SLA clock's tick: escalate breached incidents, remind about unacknowledged ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.incident import auto, service, sla
from jcoc.incident.models import Incident, IncidentStatus


async def escalate_and_remind(db_session: AsyncSession, now: datetime) -> None:
    active = (
        await db_session.scalars(
            select(Incident).where(Incident.status.in_(auto.ACTIVE)).order_by(Incident.id)
        )
    ).all()
    for incident in active:
        late = sla.overdue(incident, now)
        if late is not None:
            reason, due = late
            if incident.escalated_at is None or incident.escalated_at < due:
                await service.escalate(
                    db_session=db_session, incident=incident, reason=reason, now=now
                )
        if incident.status == IncidentStatus.open:
            policy = await service.get_policy(db_session=db_session, severity=incident.severity)
            if policy is None:
                continue
            last = incident.last_reminder_at or incident.opened_at
            if now - last >= timedelta(minutes=policy.reminder_minutes):
                await service.remind(db_session=db_session, incident=incident, now=now)
