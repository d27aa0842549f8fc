"""Retention: time-series rows older than JCOC_RETENTION_DAYS go, newer ones stay."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from jcoc.app import create_app
from jcoc.config import Settings
from jcoc.db.base import utcnow
from jcoc.db.engine import session_factory
from jcoc.db.retention import prune
from jcoc.opd import service as opd
from jcoc.status.models import StatusEvent
from tests.live import LiveServer

NOW = utcnow().replace(microsecond=0)
# Far apart so that on TimescaleDB (24 h chunks) each old row sits in a chunk of its own.
OLD = [NOW - timedelta(days=400), NOW - timedelta(days=200), NOW - timedelta(days=95)]
NEW = [NOW - timedelta(days=80), NOW - timedelta(hours=1)]


async def _seed(engine: AsyncEngine) -> None:
    async with session_factory(engine)() as s:
        agency = await opd.create_agency(db_session=s, code="dishub", name="Dinas Perhubungan")
        svc = await opd.create_service(db_session=s, agency=agency, code="atcs", name="ATCS")
        for i, t in enumerate(OLD + NEW):
            s.add(
                StatusEvent(time=t, service_id=svc.id, event_id=f"e{i}", status="up", received_at=t)
            )
        await s.commit()


async def _times(engine: AsyncEngine) -> list[datetime]:
    async with session_factory(engine)() as s:
        return list(await s.scalars(select(StatusEvent.time).order_by(StatusEvent.time)))


async def _chunks(engine: AsyncEngine) -> int | None:
    if engine.dialect.name != "postgresql":
        return None
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                text(
                    "SELECT count(*) FROM timescaledb_information.chunks "
                    "WHERE hypertable_name = 'status_event'"
                )
            )
        )


def _jcoc(settings: Settings, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JCOC_")}
    env.update(
        JCOC_ENV="test",
        JCOC_SECRET_KEY=settings.secret_key,
        JCOC_DATABASE_URL=settings.database_url,
        JCOC_RETENTION_DAYS="90",
    )
    done = subprocess.run(
        [sys.executable, "-m", "jcoc.cli", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_prune_drops_old_rows_and_chunks(settings: Settings, engine: AsyncEngine) -> None:
    await _seed(engine)
    chunks_before = await _chunks(engine)

    dry = await asyncio.to_thread(_jcoc, settings, "db", "prune", "--dry-run")
    assert "would remove" in dry and "status_event: 3 rows" in dry, dry
    assert await _times(engine) == OLD + NEW  # a dry run removes nothing

    out = await asyncio.to_thread(_jcoc, settings, "db", "prune")
    assert "removed" in out and "status_event: 3 rows" in out, out
    assert "kpi_sample: 0 rows" in out
    assert await _times(engine) == NEW
    if chunks_before is not None:  # TimescaleDB: whole chunks dropped, not rows deleted
        assert "in 3 chunks" in out
        assert await _chunks(engine) == chunks_before - 3

    again = await prune(engine, now=NOW, retention=timedelta(days=90))
    assert sum(p.rows for p in again) == 0  # nothing left to remove
    assert await _times(engine) == NEW


async def test_the_server_applies_retention_by_itself(
    settings: Settings, engine: AsyncEngine
) -> None:
    await _seed(engine)
    server = await asyncio.to_thread(LiveServer(lambda: create_app(settings)).start)
    try:
        deadline = time.monotonic() + 20
        while await _times(engine) != NEW:
            assert time.monotonic() < deadline, "the server never applied the retention"
            await asyncio.sleep(0.1)
    finally:
        await asyncio.to_thread(server.stop)
