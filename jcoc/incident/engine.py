"""The incident engine: runs automatic incidents and the SLA clock from the bus and a tick.

- `status` events and silence: `auto_services` (a service down or stale past its grace).
- `camera` events: `auto_cameras` (a camera in a fault state past its grace).
- Each tick checks both again and runs `escalation` (breached incidents, reminders).

Time comes from an injectable clock (`app.state.clock`), and `tick(now)` can be called
directly, so tests drive hours of SLA time without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jcoc.bus import Bus
from jcoc.db.base import utcnow
from jcoc.incident import service
from jcoc.incident.auto_cameras import CameraWatch
from jcoc.incident.auto_services import ServiceWatch
from jcoc.incident.escalation import escalate_and_remind

log = logging.getLogger(__name__)


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
        self.services = ServiceWatch()
        self.cameras = CameraWatch(camera_grace)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    async def tick(self, now: datetime | None = None) -> None:
        """One pass: services (down/stale), cameras, then SLA escalation and reminders."""
        now = now or self.clock()
        async with self._lock:
            await self._in_session(self.services.check_all, now)
            await self._in_session(self.cameras.check_all, now)
            await self._in_session(escalate_and_remind, now)

    async def handle(self, channel: str, message: dict[str, Any]) -> None:
        """React to one bus event at once (so recovery resolves without waiting a tick)."""
        if channel == "status" and self.services.routine(message):
            return
        await self._handle(channel, message)

    async def _handle(self, channel: str, message: dict[str, Any]) -> None:
        now = self.clock()
        async with self._lock:
            if channel == "status":
                await self._in_session(self.services.on_status, now, message)
            elif channel == "camera":
                await self._in_session(self.cameras.on_camera, now, message)

    async def load_state(self) -> None:
        """Read the last status of every service and the open automatic incidents."""
        async with self._lock, self.sessions() as db_session:
            await self.services.load(db_session)

    async def _in_session(self, step: Callable[..., Any], now: datetime, *args: Any) -> None:
        async with self.sessions() as db_session:
            try:
                await step(db_session, now, *args)
                await db_session.commit()
            except Exception:
                await db_session.rollback()
                service.discard_pending(db_session)
                self.services.states.clear()  # not sure what is stored: ask the database again
                log.exception("incident engine: %s failed; will retry next tick", step.__name__)
                return
            await service.publish_pending(db_session=db_session, bus=self.bus)

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
                if event.channel == "status" and self.services.routine(event.message):
                    continue
                try:
                    await self._handle(event.channel, event.message)
                except Exception:
                    log.exception("incident engine: event on %s failed", event.channel)


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
