"""Incident writes: create, lifecycle transitions, timeline, escalation and reminders.

Every change appends to the timeline and queues its notifications (webhook outbox rows in
the same transaction, a bus message kept on the session). Callers commit, then call
`publish_pending` so the wall only hears about committed changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.auth.models import User
from jcoc.bus import Bus
from jcoc.camera.models import Camera
from jcoc.incident import query, sla
from jcoc.incident.models import (
    Incident,
    IncidentEvent,
    IncidentLink,
    IncidentSource,
    IncidentStatus,
    SlaPolicy,
)
from jcoc.incident.schemas import IncidentIn
from jcoc.notify import service as notify
from jcoc.opd.models import Agency, Service

log = logging.getLogger(__name__)

S = IncidentStatus
ACTIVE = (S.open, S.acknowledged, S.in_progress)
_PENDING = "jcoc_incident_pending"


class IncidentError(Exception):
    """Base of the errors a route turns into a 4xx."""

    status_code = 400


class NotFound(IncidentError):
    status_code = 404


class Conflict(IncidentError):
    status_code = 409


class Invalid(IncidentError):
    status_code = 422


@dataclass(frozen=True)
class Transition:
    allowed_from: tuple[str, ...]
    to: str | None  # None: status unchanged (or decided by the action)
    event: str
    needs_comment: bool = False


TRANSITIONS: dict[str, Transition] = {
    "acknowledge": Transition((S.open,), S.acknowledged, "acknowledged"),
    "start": Transition((S.open, S.acknowledged), S.in_progress, "in_progress"),
    "assign": Transition(ACTIVE, None, "assigned"),
    "comment": Transition(tuple(S), None, "commented", needs_comment=True),
    "resolve": Transition(ACTIVE, S.resolved, "resolved"),
    "close": Transition((S.resolved,), S.closed, "closed"),
    "reopen": Transition((S.resolved, S.closed), None, "reopened"),
}


@dataclass
class _Pending:
    messages: list[dict[str, Any]] = field(default_factory=list)


def _pending(db_session: AsyncSession) -> _Pending:
    return db_session.info.setdefault(_PENDING, _Pending())  # type: ignore[no-any-return]


async def publish_pending(*, db_session: AsyncSession, bus: Bus) -> None:
    """Publish the bus messages of the changes just committed in this session."""
    pending = db_session.info.pop(_PENDING, None)
    if pending is None:
        return
    for message in pending.messages:
        try:
            await bus.publish("incident", message)
        except Exception:  # the change is committed; the hub reloads from the database
            log.warning("incident: bus publish failed", exc_info=True)


def discard_pending(db_session: AsyncSession) -> None:
    """Forget the messages of a rolled-back transaction."""
    db_session.info.pop(_PENDING, None)


async def get_policy(*, db_session: AsyncSession, severity: int) -> SlaPolicy | None:
    """The SLA policy of a severity."""
    return await db_session.get(SlaPolicy, severity)


async def set_policy(
    *,
    db_session: AsyncSession,
    severity: int,
    ack_minutes: int,
    resolve_minutes: int,
    reminder_minutes: int,
) -> SlaPolicy:
    """Create or change the SLA policy of a severity (applies to incidents opened later)."""
    policy = await db_session.get(SlaPolicy, severity)
    if policy is None:
        policy = SlaPolicy(severity=severity, ack_minutes=ack_minutes)
        db_session.add(policy)
    policy.ack_minutes = ack_minutes
    policy.resolve_minutes = resolve_minutes
    policy.reminder_minutes = reminder_minutes
    await db_session.flush()
    return policy


async def record_event(
    *,
    db_session: AsyncSession,
    incident: Incident,
    kind: str,
    actor: str,
    now: datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> IncidentEvent:
    """Append to the timeline and queue the change's bus message and webhooks."""
    last = await db_session.scalar(
        select(func.max(IncidentEvent.seq)).where(IncidentEvent.incident_id == incident.id)
    )
    event = IncidentEvent(
        time=now,
        incident_id=incident.id,
        seq=(last or 0) + 1,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        data=data or {},
    )
    db_session.add(event)
    incident.updated_at = now
    await db_session.flush()
    body = await query.to_json(db_session=db_session, incident=incident, now=now)
    message = {"event": kind, "incident": body, "timeline_event": query.event_json(event)}
    await notify.enqueue(db_session=db_session, event=kind, payload=message, now=now)
    _pending(db_session).messages.append(message)
    return event


async def _resolve_codes(
    *, db_session: AsyncSession, model: type[Camera] | type[Service], codes: list[str], what: str
) -> list[int]:
    if not codes:
        return []
    rows = dict(
        (await db_session.execute(select(model.code, model.id).where(model.code.in_(codes)))).all()
    )
    missing = [c for c in codes if c not in rows]
    if missing:
        raise Invalid(f"unknown {what} code(s) in '{what}s': {', '.join(missing)}")
    return sorted(set(rows.values()))


async def find_by_external_id(
    *, db_session: AsyncSession, agency_id: int, external_id: str
) -> Incident | None:
    """An agency's incident by the id its own system gave it."""
    return await db_session.scalar(
        select(Incident).where(Incident.agency_id == agency_id, Incident.external_id == external_id)
    )


async def create(
    *,
    db_session: AsyncSession,
    data: IncidentIn,
    source: IncidentSource,
    actor: str,
    now: datetime,
    agency: Agency | None = None,
    auto_key: str | None = None,
    camera_ids: list[int] | None = None,
    service_ids: list[int] | None = None,
) -> Incident:
    """Open an incident with its SLA clocks, links and first timeline entry."""
    if agency is None and data.agency:
        agency = await db_session.scalar(select(Agency).where(Agency.code == data.agency))
        if agency is None:
            raise Invalid(f"unknown agency code in 'agency': {data.agency}")
    cams = camera_ids or await _resolve_codes(
        db_session=db_session, model=Camera, codes=data.cameras, what="camera"
    )
    svcs = service_ids or await _resolve_codes(
        db_session=db_session, model=Service, codes=data.services, what="service"
    )
    policy = await get_policy(db_session=db_session, severity=data.severity)
    ack_due, resolve_due = sla.due_times(policy, now)
    incident = Incident(
        title=data.title,
        description=data.description,
        category=data.category,
        severity=data.severity,
        status=S.open,
        source=source,
        lat=data.lat,
        lon=data.lon,
        kecamatan=data.kecamatan,
        agency_id=agency.id if agency else None,
        external_id=data.external_id,
        auto_key=auto_key,
        created_by=actor,
        opened_at=now,
        ack_due_at=ack_due,
        resolve_due_at=resolve_due,
        updated_at=now,
    )
    db_session.add(incident)
    await db_session.flush()
    for kind, ids in (("camera", cams), ("service", svcs)):
        for target in ids:
            db_session.add(IncidentLink(incident_id=incident.id, kind=kind, target_id=target))
    await db_session.flush()
    await record_event(
        db_session=db_session,
        incident=incident,
        kind="created",
        actor=actor,
        now=now,
        to_status=S.open,
        comment=data.description[:500],
        data={"source": str(source), "severity": data.severity},
    )
    return incident


async def lock(*, db_session: AsyncSession, incident_id: int) -> Incident:
    """The incident, row-locked for a transition (404 when absent)."""
    incident = await db_session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    return incident


async def act(
    *,
    db_session: AsyncSession,
    incident: Incident,
    action: str,
    actor: str,
    now: datetime,
    comment: str = "",
    assignee: str | None = None,
    data: dict[str, Any] | None = None,
) -> Incident:
    """Apply one lifecycle action; Conflict (409) when the status does not allow it."""
    rule = TRANSITIONS[action]
    before = incident.status
    if before not in rule.allowed_from:
        raise Conflict(
            f"cannot {action} incident {incident.id}: it is {before}; "
            f"{action} is allowed from {', '.join(rule.allowed_from)}"
        )
    if rule.needs_comment and not comment.strip():
        raise Invalid("'comment' must not be empty")
    extra = dict(data or {})
    if action == "assign":
        user = None
        if assignee:
            user = await db_session.scalar(select(User).where(User.username == assignee))
            if user is None or not user.active:
                raise Invalid(f"unknown or inactive user in 'assignee': {assignee}")
        incident.assignee_id = user.id if user else None
        extra["assignee"] = assignee
    after = rule.to or before
    if action in ("acknowledge", "start") and incident.acknowledged_at is None:
        incident.acknowledged_at = now
    elif action == "resolve":
        incident.resolved_at = now
    elif action == "close":
        incident.closed_at = now
    elif action == "reopen":
        after = S.acknowledged if incident.acknowledged_at else S.open
        incident.resolved_at = None
        incident.closed_at = None
        policy = await get_policy(db_session=db_session, severity=incident.severity)
        if policy is not None:
            incident.resolve_due_at = now + timedelta(minutes=policy.resolve_minutes)
    incident.status = after
    await record_event(
        db_session=db_session,
        incident=incident,
        kind=rule.event,
        actor=actor,
        now=now,
        from_status=before,
        to_status=after if after != before else None,
        comment=comment,
        data=extra,
    )
    return incident


async def escalate(
    *, db_session: AsyncSession, incident: Incident, reason: str, now: datetime
) -> None:
    """Raise severity one step (not past critical) and record why."""
    before = incident.severity
    incident.severity = max(1, before - 1)
    incident.escalated_at = now
    await record_event(
        db_session=db_session,
        incident=incident,
        kind="escalated",
        actor="system",
        now=now,
        comment=(
            "SLA terlampaui / SLA breached: "
            + (
                "belum diakui / not acknowledged"
                if reason == "ack_breached"
                else "belum selesai / not resolved"
            )
        ),
        data={"reason": reason, "from_severity": before, "to_severity": incident.severity},
    )


async def remind(*, db_session: AsyncSession, incident: Incident, now: datetime) -> None:
    """Record a reminder that the incident still waits to be acknowledged."""
    incident.last_reminder_at = now
    waited = int((now - incident.opened_at).total_seconds() // 60)
    await record_event(
        db_session=db_session,
        incident=incident,
        kind="reminder",
        actor="system",
        now=now,
        comment=f"Belum diakui sejak {waited} menit / not acknowledged for {waited} min",
        data={"waiting_minutes": waited},
    )
