"""The incident engine: automatic incidents from the bus and the SLA clock tick.

- `status` events (and silence, found by the periodic tick) open an automatic incident for
  a service down or stale past its `grace_s`, and resolve it when the service recovers.
  The last known status of each service (and whether it has an open automatic incident)
  is kept in memory — loaded at start, refreshed on every tick — so the ordinary report,
  `up` after `up` with nothing open, costs no database work; only a change does.
- `camera` events open one for a camera in a fault state (offline, covered, moved …) past
  `JCOC_CAMERA_INCIDENT_GRACE_SECONDS`, and resolve it when the camera is ok again.
- Each tick escalates breached incidents and reminds about unacknowledged ones.

Time comes from an injectable clock (`app.state.clock`), and `tick(now)` can be called
directly, so tests drive hours of SLA time without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jcoc import geo
from jcoc.bus import Bus
from jcoc.camera.models import Camera
from jcoc.db.base import utcnow
from jcoc.incident import service, sla
from jcoc.incident.models import Category, Incident, IncidentSource, IncidentStatus, Severity
from jcoc.incident.schemas import IncidentIn
from jcoc.opd.models import Service
from jcoc.status.models import Status, StatusEvent

log = logging.getLogger(__name__)

CAMERA_FAULTS = frozenset(
    {"offline", "frozen", "black", "overexposed", "blurred", "covered", "moved"}
)
ACTIVE = [str(s) for s in service.ACTIVE]


@dataclass
class CameraFault:
    health: str
    since: datetime


@dataclass(slots=True)
class ServiceState:
    """What the engine last saw of a service: its latest report and any open auto incident."""

    time: datetime
    down: bool
    incident_open: bool


def service_key(service_id: int) -> str:
    return f"service:{service_id}"


def camera_key(camera_id: int) -> str:
    return f"camera:{camera_id}"


class IncidentEngine:
    """Automatic incidents and SLA escalation/reminders; one instance per process."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bus: Bus,
        clock: Callable[[], datetime],
        camera_grace: timedelta,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        self.clock = clock
        self.camera_grace = camera_grace
        self.camera_faults: dict[int, CameraFault] = {}
        # service code → state; a service absent here is checked against the database.
        self.services: dict[str, ServiceState] = {}
        self.routine_events = 0  # status events answered from memory (no database work)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    async def tick(self, now: datetime | None = None) -> None:
        """One pass: services (down/stale), cameras, then SLA escalation and reminders."""
        now = now or self.clock()
        async with self._lock:
            await self._in_session(self._check_services, now)
            await self._in_session(self._check_cameras, now)
            await self._in_session(self._check_sla, now)

    async def handle(self, channel: str, message: dict[str, Any]) -> None:
        """React to one bus event at once (so recovery resolves without waiting a tick)."""
        if channel == "status" and self._routine(message):
            return
        now = self.clock()
        async with self._lock:
            if channel == "status":
                await self._in_session(self._on_status, now, message)
            elif channel == "camera":
                await self._in_session(self._on_camera, now, message)

    def _routine(self, msg: dict[str, Any]) -> bool:
        """Whether a status event changes nothing: no fault begins or ends with it.

        True for a report that keeps a service healthy with nothing open, or down with its
        incident already open, or that is older than the latest known report. Anything
        else (or a service not known yet) goes to the database.
        """
        state = self.services.get(str(msg.get("service")))
        when = _parse_time(msg.get("time"))
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

    async def load_state(self) -> None:
        """Read the last status of every service and the open automatic incidents."""
        async with self._lock, self.sessions() as db_session:
            open_keys = set(
                (
                    await db_session.scalars(
                        select(Incident.auto_key).where(
                            Incident.auto_key.startswith("service:"), Incident.status.in_(ACTIVE)
                        )
                    )
                ).all()
            )
            for svc in (await db_session.scalars(select(Service))).all():
                latest = await _latest_status(db_session, svc.id)
                if latest is not None:
                    self.services[svc.code] = ServiceState(
                        latest[0], latest[1] == Status.down, service_key(svc.id) in open_keys
                    )

    async def _in_session(self, step: Callable[..., Any], now: datetime, *args: Any) -> None:
        async with self.sessions() as db_session:
            try:
                await step(db_session, now, *args)
                await db_session.commit()
            except Exception:
                await db_session.rollback()
                service.discard_pending(db_session)
                self.services.clear()  # not sure what is stored: ask the database again
                log.exception("incident engine: %s failed; will retry next tick", step.__name__)
                return
            await service.publish_pending(db_session=db_session, bus=self.bus)

    # services -------------------------------------------------------------------------

    async def _on_status(
        self, db_session: AsyncSession, now: datetime, msg: dict[str, Any]
    ) -> None:
        code = msg.get("service")
        svc = await db_session.scalar(select(Service).where(Service.code == code))
        if svc is not None:
            await self._check_service(db_session, svc, now)

    async def _check_services(self, db_session: AsyncSession, now: datetime) -> None:
        for svc in (await db_session.scalars(select(Service).order_by(Service.id))).all():
            await self._check_service(db_session, svc, now)

    async def _fault_of(
        self, db_session: AsyncSession, svc: Service, now: datetime, latest: Any
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

    async def _check_service(self, db_session: AsyncSession, svc: Service, now: datetime) -> None:
        latest = await _latest_status(db_session, svc.id)
        incident_open = await self._check_fault(db_session, svc, now, latest)
        if latest is None:
            self.services.pop(svc.code, None)
        else:
            self.services[svc.code] = ServiceState(
                latest[0], latest[1] == Status.down, incident_open
            )

    async def _check_fault(
        self, db_session: AsyncSession, svc: Service, now: datetime, latest: Any
    ) -> bool:
        """Open or resolve the service's automatic incident; whether one is open after."""
        key = service_key(svc.id)
        fault = await self._fault_of(db_session, svc, now, latest)
        current = await _latest_auto(db_session, key)
        is_open = current is not None and current.status in ACTIVE
        if fault is None:
            if current is not None and current.status in ACTIVE:
                await service.act(
                    db_session=db_session,
                    incident=current,
                    action="resolve",
                    actor="system",
                    now=now,
                    comment=(
                        f"Selesai otomatis: layanan {svc.code} pulih / "
                        f"resolved automatically: service {svc.code} recovered"
                    ),
                    data={"automatic": True},
                )
            return False
        kind, since, detail = fault
        if now - since < timedelta(seconds=svc.grace_s):
            return is_open
        if current is not None and (
            current.status in ACTIVE or (current.resolved_at and current.resolved_at >= since)
        ):
            return is_open  # one incident per fault, even if a person resolved it meanwhile
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

    # cameras --------------------------------------------------------------------------

    async def _on_camera(
        self, db_session: AsyncSession, now: datetime, msg: dict[str, Any]
    ) -> None:
        cam = await db_session.scalar(select(Camera).where(Camera.code == msg.get("camera")))
        if cam is None:
            return
        health = str(msg.get("health", ""))
        if health in CAMERA_FAULTS:
            if cam.id not in self.camera_faults:
                since = _parse_time(msg.get("time")) or now
                self.camera_faults[cam.id] = CameraFault(health, min(since, now))
            else:
                self.camera_faults[cam.id].health = health
        elif health == "ok":
            self.camera_faults.pop(cam.id, None)
        await self._check_camera(db_session, cam, now)

    async def _check_cameras(self, db_session: AsyncSession, now: datetime) -> None:
        open_ids = {
            int(k.split(":")[1])
            for k in (
                await db_session.scalars(
                    select(Incident.auto_key).where(
                        Incident.auto_key.startswith("camera:"), Incident.status.in_(ACTIVE)
                    )
                )
            ).all()
            if k
        }
        ids = open_ids | set(self.camera_faults)
        if not ids:
            return
        for cam in (await db_session.scalars(select(Camera).where(Camera.id.in_(ids)))).all():
            await self._check_camera(db_session, cam, now)

    async def _check_camera(self, db_session: AsyncSession, cam: Camera, now: datetime) -> None:
        key = camera_key(cam.id)
        fault = self.camera_faults.get(cam.id)
        current = await _latest_auto(db_session, key)
        if fault is None:
            if current is not None and current.status in ACTIVE:
                await service.act(
                    db_session=db_session,
                    incident=current,
                    action="resolve",
                    actor="system",
                    now=now,
                    comment=(
                        f"Selesai otomatis: kamera {cam.code} normal kembali / "
                        f"resolved automatically: camera {cam.code} is ok again"
                    ),
                    data={"automatic": True},
                )
            return
        if now - fault.since < self.camera_grace:
            return
        if current is not None and (
            current.status in ACTIVE or (current.resolved_at and current.resolved_at >= fault.since)
        ):
            return
        # A camera registered with a bad location must still get its incident.
        located = cam.lat is not None and cam.lon is not None and geo.in_city(cam.lat, cam.lon)
        known = geo.find_kecamatan(cam.kecamatan or "")
        await service.create(
            db_session=db_session,
            data=IncidentIn(
                title=f"Kamera {cam.name}: {fault.health}",
                description=f"{cam.code}: {fault.health} since {fault.since.isoformat()}",
                category=Category.camera_fault,
                severity=Severity.medium,
                lat=cam.lat if located else None,
                lon=cam.lon if located else None,
                kecamatan=known.name if known else "",
            ),
            source=IncidentSource.automatic,
            actor="system",
            now=now,
            agency=None,
            auto_key=key,
            camera_ids=[cam.id],
        )

    # SLA ------------------------------------------------------------------------------

    async def _check_sla(self, db_session: AsyncSession, now: datetime) -> None:
        active = (
            await db_session.scalars(
                select(Incident).where(Incident.status.in_(ACTIVE)).order_by(Incident.id)
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

    # running --------------------------------------------------------------------------

    async def run(self, interval: float) -> None:
        """Consume `status`/`camera` events; tick every `interval` seconds."""
        loop = asyncio.get_running_loop()
        next_tick = loop.time() + interval
        async with self.bus.subscribe("status", "camera") as sub:
            try:
                await self.load_state()
            except Exception:  # the database may be down at start: ask it per event meanwhile
                log.warning("incident engine: could not load service states", exc_info=True)
            while True:
                timeout = next_tick - loop.time()
                try:
                    if timeout <= 0:
                        raise TimeoutError
                    # Under load events are waiting already: take them without a timer.
                    if sub.queue.empty():
                        event = await asyncio.wait_for(sub.get(), timeout)
                    else:
                        event = sub.queue.get_nowait()
                except TimeoutError:
                    next_tick = loop.time() + interval
                    await self.tick()
                    continue
                if event.channel == "status" and self._routine(event.message):
                    continue
                try:
                    await self.handle(event.channel, event.message)
                except Exception:
                    log.exception("incident engine: event on %s failed", event.channel)


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


async def _latest_auto(db_session: AsyncSession, key: str) -> Incident | None:
    return await db_session.scalar(
        select(Incident).where(Incident.auto_key == key).order_by(Incident.id.desc()).limit(1)
    )


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def app_clock(app: FastAPI) -> Callable[[], datetime]:
    """The app's clock: `app.state.clock` when a test (or the demo) set one, else real time."""
    return lambda: getattr(app.state, "clock", utcnow)()


@contextlib.asynccontextmanager
async def incident_engine(app: FastAPI) -> AsyncIterator[None]:
    """Component: runs the engine for the app's lifetime (`app.state.incident_engine`)."""
    settings = app.state.settings
    engine = IncidentEngine(
        sessions=app.state.sessions,
        bus=app.state.bus,
        clock=app_clock(app),
        camera_grace=timedelta(seconds=settings.camera_incident_grace_seconds),
    )
    engine.loop = asyncio.get_running_loop()
    app.state.incident_engine = engine
    task = asyncio.create_task(engine.run(settings.incident_tick_seconds), name="incident-engine")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
