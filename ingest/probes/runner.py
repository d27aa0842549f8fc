"""The probe scheduler: checks every probed service at its interval, stores the outcome.

Each round tries a service up to `1 + probe_retries` times (a short pause between tries)
and stores ONE status event through the group-commit writer: `up` with the latency of
the successful try, or `down` with the last error once every try failed — so a single
lost packet does not page anyone. The list of probed services is reloaded every
`reload_s` seconds and at once on an `entity` bus event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest.probes.checks import CheckResult, check_http, check_tcp
from ingest.rows import StatusRow
from ingest.writer import Writer
from jcoc.bus import Bus
from jcoc.db.base import utcnow
from jcoc.opd.models import Agency, ProbeKind, Service

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeSpec:
    service_id: int
    service: str
    agency: str
    kind: str
    target: str
    interval_s: int
    timeout_s: float
    retries: int
    expect_status: int
    keyword: str


@dataclass
class ProbeStats:
    rounds: int = 0
    up: int = 0
    down: int = 0
    write_errors: int = 0
    last: dict[str, str] = field(default_factory=dict)


class ProbeRunner:
    """Runs the probes of every service with `probe_kind` http or tcp."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        bus: Bus | None,
        reload_s: float = 30.0,
        tick_s: float = 0.25,
        retry_pause_s: float = 1.0,
        concurrency: int = 20,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.bus = bus
        self.reload_s = reload_s
        self.tick_s = tick_s
        self.retry_pause_s = retry_pause_s
        self.stats = ProbeStats()
        self._specs: dict[int, ProbeSpec] = {}
        self._due: dict[int, float] = {}
        self._running: dict[int, asyncio.Task[None]] = {}
        self._sem = asyncio.Semaphore(concurrency)
        self._reload = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            follow_redirects=True, headers={"User-Agent": "JCOC-probe/1"}
        )
        self._tasks.append(asyncio.create_task(self._schedule(), name="probes"))
        if self.bus is not None:
            self._tasks.append(asyncio.create_task(self._listen(self.bus), name="probes-entity"))

    async def stop(self) -> None:
        for task in [*self._tasks, *self._running.values()]:
            task.cancel()
        for task in [*self._tasks, *self._running.values()]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._client is not None:
            await self._client.aclose()

    async def _listen(self, bus: Bus) -> None:
        async with bus.subscribe("entity", maxsize=100) as sub:
            async for event in sub:
                if event.message.get("kind") == "service":
                    self._reload.set()

    async def load(self) -> None:
        """Read the probed services from the database."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(Service, Agency.code)
                .join(Agency, Agency.id == Service.agency_id)
                .where(Service.probe_kind.in_([ProbeKind.http.value, ProbeKind.tcp.value]))
            )
            specs = {
                s.id: ProbeSpec(
                    s.id,
                    s.code,
                    agency,
                    s.probe_kind,
                    s.probe_target,
                    max(1, s.probe_interval_s),
                    max(0.1, s.probe_timeout_s),
                    max(0, s.probe_retries),
                    s.probe_expect_status,
                    s.probe_keyword,
                )
                for s, agency in rows
            }
        now = time.monotonic()
        for sid, spec in specs.items():
            old = self._specs.get(sid)
            if old is None or old != spec:
                self._due[sid] = now  # new or changed: probe at once
        for sid in set(self._due) - set(specs):
            self._due.pop(sid, None)
        self._specs = specs

    async def _schedule(self) -> None:
        next_reload = 0.0
        while True:
            now = time.monotonic()
            if now >= next_reload or self._reload.is_set():
                self._reload.clear()
                try:
                    await self.load()
                    next_reload = now + self.reload_s
                except Exception as exc:
                    log.warning("probes: cannot read the probed services: %s", exc)
                    next_reload = now + 5.0
            for sid, due in list(self._due.items()):
                if due <= now and sid not in self._running:
                    spec = self._specs[sid]
                    self._due[sid] = now + spec.interval_s
                    task = asyncio.create_task(self._round(spec), name=f"probe-{spec.service}")
                    self._running[sid] = task
                    task.add_done_callback(self._done(sid))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reload.wait(), self.tick_s)

    def _done(self, sid: int) -> Callable[[asyncio.Task[None]], None]:
        def forget(_task: asyncio.Task[None]) -> None:
            self._running.pop(sid, None)

        return forget

    async def check(self, spec: ProbeSpec) -> CheckResult:
        """One try of `spec`."""
        if spec.kind == ProbeKind.http:
            assert self._client is not None
            return await check_http(
                self._client,
                spec.target,
                timeout_s=spec.timeout_s,
                expect_status=spec.expect_status,
                keyword=spec.keyword,
            )
        return await check_tcp(spec.target, timeout_s=spec.timeout_s)

    async def _round(self, spec: ProbeSpec) -> None:
        async with self._sem:
            result = await self.check(spec)
            for _ in range(spec.retries):
                if result.ok:
                    break
                await asyncio.sleep(min(self.retry_pause_s, spec.interval_s / 4))
                result = await self.check(spec)
        self.stats.rounds += 1
        status = "up" if result.ok else "down"
        if result.ok:
            self.stats.up += 1
        else:
            self.stats.down += 1
        self.stats.last[spec.service] = status
        when = utcnow()
        row = StatusRow(
            service_id=spec.service_id,
            service=spec.service,
            agency=spec.agency,
            event_id=f"probe-{when.timestamp():.6f}",
            time=when,
            status=status,
            message=result.message,
            latency_ms=None if result.latency_ms is None else round(result.latency_ms, 2),
            source="probe",
        )
        try:
            await self.writer.write([row])
        except Exception as exc:
            self.stats.write_errors += 1
            log.warning("probes: result of %s not stored: %s", spec.service, exc)
