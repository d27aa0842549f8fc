"""Automatic incidents for services down, or stale (silent), past their `grace_s`.

`status` events (and silence, found by the periodic check) open an incident; recovery
resolves it. The last known status of each service (and whether it has an open automatic
incident) is kept in memory — loaded at start, refreshed on every check — so the ordinary
report, `up` after `up` with nothing open, costs no database work; only a change does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.incident import auto, service
from jcoc.incident.models import Category, Incident, IncidentSource, Severity
from jcoc.incident.schemas import IncidentIn
from jcoc.opd.models import Service
from jcoc.status.models import Status, StatusEvent


@dataclass(slots=True)
class ServiceState:
    """What was last seen of a service: its latest report and any open auto incident."""

    time: datetime
    down: bool
    incident_open: bool


def service_key(service_id: int) -> str:
    return f"service:{service_id}"


class ServiceWatch:
    def __init__(self) -> None:
        # service code → state; a service absent here is checked against the database.
        self.states: dict[str, ServiceState] = {}
        self.routine_events = 0  # status events answered from memory (no database work)

    def routine(self, msg: dict[str, Any]) -> bool:
        """Whether a status event changes nothing: no fault begins or ends with it.

        True for a report that keeps a service healthy with nothing open, or down with its
        incident already open, or that is older than the latest known report. Anything
        else (or a service not known yet) goes to the database.
        """
        state = self.states.get(str(msg.get("service")))
        when = auto.parse_time(msg.get("time"))
        if state is None or when is None:
            return False
        if when < state.time:
            routine = not state.down or state.incident_open  # the verdict cannot change
        else:
            down = msg.get("status") == Status.down
            routine = down == state.down and down == state.incident_open
            if routine:
                state.time = when
        if routine:
            self.routine_events += 1
        return routine

    async def load(self, db_session: AsyncSession) -> None:
        """Read the last status of every service and the open automatic incidents."""
        open_keys = set(
            (
                await db_session.scalars(
                    select(Incident.auto_key).where(
                        Incident.auto_key.startswith("service:"), Incident.status.in_(auto.ACTIVE)
                    )
                )
            ).all()
        )
        for svc in (await db_session.scalars(select(Service))).all():
            latest = await _latest_status(db_session, svc.id)
            if latest is not None:
                self.states[svc.code] = ServiceState(
                    latest[0], latest[1] == Status.down, service_key(svc.id) in open_keys
                )

    async def on_status(self, db_session: AsyncSession, now: datetime, msg: dict[str, Any]) -> None:
        code = msg.get("service")
        svc = await db_session.scalar(select(Service).where(Service.code == code))
        if svc is not None:
            await self.check(db_session, svc, now)

    async def check_all(self, db_session: AsyncSession, now: datetime) -> None:
        for svc in (await db_session.scalars(select(Service).order_by(Service.id))).all():
            await self.check(db_session, svc, now)

    async def check(self, db_session: AsyncSession, svc: Service, now: datetime) -> None:
        latest = await _latest_status(db_session, svc.id)
        incident_open = await _open_or_resolve(db_session, svc, now, latest)
        if latest is None:
            self.states.pop(svc.code, None)
        else:
            self.states[svc.code] = ServiceState(latest[0], latest[1] == Status.down, incident_open)


async def _open_or_resolve(
    db_session: AsyncSession, svc: Service, now: datetime, latest: Any
) -> bool:
    """Open or resolve the service's automatic incident; whether one is open after."""
    key = service_key(svc.id)
    fault = await _fault_of(db_session, svc, now, latest)
    current = await auto.latest(db_session, key)
    if fault is None:
        await auto.resolve(
            db_session,
            current,
            now,
            f"Selesai otomatis: layanan {svc.code} pulih / "
            f"resolved automatically: service {svc.code} recovered",
        )
        return False
    kind, since, detail = fault
    if now - since < timedelta(seconds=svc.grace_s) or auto.covers(current, since):
        return auto.is_open(current)
    await db_session.refresh(svc, ["agency"])
    verb = "mati / down" if kind == "down" else "tidak melapor / stale"
    await service.create(
        db_session=db_session,
        data=IncidentIn(
            title=f"Layanan {svc.name} {verb}",
            description=f"{svc.code}: {kind} since {since.isoformat()}. {detail}".strip(),
            category=Category.service_outage,
            severity=Severity.high if kind == "down" else Severity.medium,
        ),
        source=IncidentSource.automatic,
        actor="system",
        now=now,
        agency=svc.agency,
        auto_key=key,
        service_ids=[svc.id],
    )
    return True


async def _fault_of(
    db_session: AsyncSession, svc: Service, now: datetime, latest: Any
) -> tuple[str, datetime, str] | None:
    """(kind, since, detail) when the service is down or stale now; None when healthy."""
    if latest is None:
        return None  # never reported: unknown, not a fault
    last_time, status, message = latest
    if status == Status.down:
        last_ok = await db_session.scalar(
            select(func.max(StatusEvent.time)).where(
                StatusEvent.service_id == svc.id, StatusEvent.status != Status.down
            )
        )
        first_down = select(func.min(StatusEvent.time)).where(
            StatusEvent.service_id == svc.id, StatusEvent.status == Status.down
        )
        if last_ok is not None:
            first_down = first_down.where(StatusEvent.time > last_ok)
        since = await db_session.scalar(first_down) or last_time
        return "down", since, message or ""
    stale_at = last_time + timedelta(seconds=svc.expected_interval_s)
    if now > stale_at:
        return "stale", stale_at, f"no report since {last_time.isoformat()}"
    return None


async def _latest_status(db_session: AsyncSession, service_id: int) -> Any:
    """(time, status, message) of a service's latest report, or None."""
    return (
        await db_session.execute(
            select(StatusEvent.time, StatusEvent.status, StatusEvent.message)
            .where(StatusEvent.service_id == service_id)
            .order_by(StatusEvent.time.desc())
            .limit(1)
        )
    ).first()
