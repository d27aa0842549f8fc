"""Which service / KPI a pushed code names and which agency owns it, cached in process.

Pushes name services by code; looking each up in the database on every request would
cost more than the write itself. Entries live `ttl_s` seconds and the whole cache is
dropped on every `entity` bus event (an admin changed the registry), so a moved or new
service is seen at once by this process and within `ttl_s` by others without Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.bus import Bus
from jcoc.kpi.models import KpiDefinition
from jcoc.opd.models import Agency, Service

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Owned:
    """A service or KPI: its row id and the code of the agency that owns it."""

    id: int
    code: str
    agency: str


class Registry:
    """Cached code → (id, owner) lookups for services and KPIs."""

    def __init__(self, ttl_s: float = 30.0) -> None:
        self.ttl_s = ttl_s
        self._services: dict[str, tuple[float, Owned]] = {}
        self._kpis: dict[str, tuple[float, Owned]] = {}
        self._task: asyncio.Task[None] | None = None

    def clear(self) -> None:
        self._services.clear()
        self._kpis.clear()

    async def services(self, *, db_session: AsyncSession, codes: Iterable[str]) -> dict[str, Owned]:
        """The known services among `codes` (unknown codes are simply absent)."""
        return await self._lookup(db_session, set(codes), self._services, Service)

    async def kpis(self, *, db_session: AsyncSession, codes: Iterable[str]) -> dict[str, Owned]:
        """The known KPIs among `codes`."""
        return await self._lookup(db_session, set(codes), self._kpis, KpiDefinition)

    async def _lookup(
        self,
        db_session: AsyncSession,
        codes: set[str],
        cache: dict[str, tuple[float, Owned]],
        model: type[Service] | type[KpiDefinition],
    ) -> dict[str, Owned]:
        now = time.monotonic()
        found: dict[str, Owned] = {}
        missing = []
        for code in codes:
            hit = cache.get(code)
            if hit is not None and now - hit[0] < self.ttl_s:
                found[code] = hit[1]
            else:
                missing.append(code)
        if missing:
            rows = await db_session.execute(
                select(model.id, model.code, Agency.code)
                .join(Agency, Agency.id == model.agency_id)
                .where(model.code.in_(missing))
            )
            for row_id, code, agency in rows:
                owned = Owned(row_id, code, agency)
                cache[code] = (now, owned)
                found[code] = owned
        return found

    async def start(self, bus: Bus) -> None:
        """Drop the cache whenever the registry changes."""
        self._task = asyncio.create_task(self._listen(bus), name="ingest-registry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self, bus: Bus) -> None:
        async with bus.subscribe("entity", maxsize=100) as sub:
            async for _event in sub:
                self.clear()
