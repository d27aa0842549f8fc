"""Retention: time-series rows older than `JCOC_RETENTION_DAYS` are removed.

On TimescaleDB whole chunks are dropped (`drop_chunks`: cheap, gives the disk space back),
so rows stay until the whole chunk holding them is older than the cutoff — at most one
chunk interval (`JCOC_CHUNK_INTERVAL_HOURS`) longer than the retention. Elsewhere rows
are deleted. Incidents and the audit log are not time-series tables and are never pruned.

`retention_component` runs `prune` at start and then every `JCOC_RETENTION_INTERVAL_SECONDS`
in the leader process only (see jcoc/db/leader.py); `jcoc db prune` runs it by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from jcoc.db.base import utcnow
from jcoc.db.dialect import drop_older_than, is_hypertable
from jcoc.db.models import TIMESERIES_TABLES, Base

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pruned:
    """What retention removed (or, in a dry run, would remove) from one table."""

    table: str
    rows: int
    chunks: int | None  # None where the table has no chunks (SQLite, plain PostgreSQL)


async def prune(
    engine: AsyncEngine, *, now: datetime, retention: timedelta, dry_run: bool = False
) -> list[Pruned]:
    """Remove time-series rows older than `now - retention`; one transaction per table."""
    cutoff = now - retention
    results = []
    for table, column in TIMESERIES_TABLES.items():
        async with engine.begin() as conn:
            results.append(await conn.run_sync(_prune_table, table, column, cutoff, dry_run))
    return results


def _prune_table(
    conn: Connection, table: str, column: str, cutoff: datetime, dry_run: bool
) -> Pruned:
    t = Base.metadata.tables[table]
    chunks: int | None = None
    boundary: datetime | None = cutoff
    if is_hypertable(conn, table):
        # drop_chunks removes the chunks that END at or before the cutoff: the rows going
        # are those older than the latest such end.
        chunks, boundary = conn.execute(
            text(
                "SELECT count(*), max(range_end) FROM timescaledb_information.chunks "
                "WHERE hypertable_name = :t AND range_end <= :c"
            ),
            {"t": table, "c": cutoff},
        ).one()
    rows = 0
    if boundary is not None:
        rows = int(
            conn.scalar(select(func.count()).select_from(t).where(t.c[column] < boundary)) or 0
        )
    if not dry_run and (rows or chunks):
        drop_older_than(conn, table, column, cutoff)
    return Pruned(table=table, rows=rows, chunks=chunks)


async def _every(app: Any, interval_s: float) -> None:
    settings = app.state.settings
    while True:
        try:
            now = getattr(app.state, "clock", utcnow)()
            pruned = await prune(
                app.state.engine, now=now, retention=timedelta(days=settings.retention_days)
            )
            app.state.retention_last = pruned
            gone = [p for p in pruned if p.rows or p.chunks]
            if gone:
                log.info(
                    "retention: removed %s",
                    ", ".join(f"{p.table} {p.rows} rows/{p.chunks or 0} chunks" for p in gone),
                )
        except Exception as exc:
            log.warning("retention: could not prune (%s); next try in %ss", exc, interval_s)
        await asyncio.sleep(interval_s)


@contextlib.asynccontextmanager
async def retention_component(app: Any) -> AsyncIterator[None]:
    """Component: prune at start, then every `retention_interval_seconds` (leader only)."""
    interval_s = app.state.settings.retention_interval_seconds
    task = asyncio.create_task(_every(app, interval_s), name="retention")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
