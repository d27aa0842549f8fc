"""How one batch lands in the database, in one transaction: which rows were new?

PostgreSQL: a binary COPY straight into the table when every row is new (a lone COPY on an
autocommit connection: committed when it completes), else a COPY into a temporary table,
then `INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING` to tell new rows from duplicates.
SQLite (and anything without COPY): `INSERT OR IGNORE … RETURNING`.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from ingest.rows import KpiRow, StatusRow
from jcoc.db import dialect
from jcoc.kpi.models import KpiSample
from jcoc.status.models import StatusEvent

_STATUS_COLS = "time, service_id, event_id, status, message, latency_ms, source, received_at"
_STATUS_TYPES = ["timestamptz", "int4", "text", "text", "text", "float8", "text", "timestamptz"]
_KPI_COLS = "time, kpi_id, sample_id, value, received_at"
_KPI_TYPES = ["timestamptz", "int4", "text", "float8", "timestamptz"]


class PgStore:
    """Binary COPY over one psycopg connection, opened lazily and reopened after errors."""

    def __init__(self, engine: AsyncEngine, connect_timeout_s: float) -> None:
        self.engine = engine
        self.connect_timeout_s = connect_timeout_s
        self._pg: Any = None  # psycopg.AsyncConnection
        self._slow_left = 0  # batches left to write on the exact (temp table) path

    async def _connect(self) -> Any:
        import psycopg

        if self._pg is not None and not self._pg.closed:
            return self._pg
        url = make_url(self.engine.url).set(drivername="postgresql")
        # Autocommit: a lone COPY is its own transaction, committed when it completes — two
        # round trips instead of four (BEGIN, COPY, data, COMMIT). Several statements that
        # must commit together run in an explicit `conn.transaction()`.
        conn = await psycopg.AsyncConnection.connect(
            url.render_as_string(hide_password=False),
            connect_timeout=max(1, int(self.connect_timeout_s)),
            autocommit=True,
        )
        async with conn.transaction(), conn.cursor() as cur:
            await cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS jcoc_status_event_in "
                "(LIKE status_event INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            await cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS jcoc_kpi_sample_in "
                "(LIKE kpi_sample INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
        self._pg = conn
        return conn

    async def close(self) -> None:
        if self._pg is not None:
            with contextlib.suppress(Exception):
                await self._pg.close()
        self._pg = None

    async def insert(
        self, status: list[StatusRow], kpis: list[KpiRow], received: datetime
    ) -> set[tuple[Any, ...]] | None:
        """Store the batch in one transaction; None when every row was new, else the new keys."""
        from psycopg.errors import UniqueViolation

        tables: list[tuple[str, str, list[str], list[Any], str, str]] = []
        if status:
            values: list[Any] = [
                (
                    r.time,
                    r.service_id,
                    r.event_id,
                    r.status,
                    r.message,
                    r.latency_ms,
                    r.source,
                    received,
                )
                for r in status
            ]
            tables.append(
                (
                    "status_event",
                    _STATUS_COLS,
                    _STATUS_TYPES,
                    values,
                    "service_id, event_id, time",
                    "s",
                )
            )
        if kpis:
            values = [(k.time, k.kpi_id, k.sample_id, k.value, received) for k in kpis]
            tables.append(
                ("kpi_sample", _KPI_COLS, _KPI_TYPES, values, "kpi_id, sample_id, time", "k")
            )
        try:
            conn = await self._connect()
            if self._slow_left <= 0:
                # Fast path, the usual case: every row is new, so COPY straight into the
                # tables. One duplicate aborts the transaction; then the exact path runs.
                try:
                    async with conn.cursor() as cur:
                        if len(tables) == 1:  # one statement: its own transaction
                            await _copy(cur, *tables[0][:4])
                        else:
                            async with conn.transaction():
                                for table, cols, types, rows, _key, _tag in tables:
                                    await _copy(cur, table, cols, types, rows)
                    return None
                except UniqueViolation:
                    # Retries come in bursts: skip the fast path for the next few batches.
                    self._slow_left = 20
            else:
                self._slow_left -= 1
            # Exact path: COPY into a temp table, then INSERT … ON CONFLICT DO NOTHING
            # RETURNING tells which rows are new.
            inserted: set[tuple[Any, ...]] = set()
            async with conn.transaction(), conn.cursor() as cur:
                for table, cols, types, rows, key, tag in tables:
                    temp = f"jcoc_{table}_in"
                    await _copy(cur, temp, cols, types, rows)
                    await cur.execute(
                        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {temp} "  # noqa: S608
                        f"ON CONFLICT DO NOTHING RETURNING {key}"
                    )
                    inserted.update((tag, *row) for row in await cur.fetchall())
            return inserted
        except BaseException:
            # Unknown connection state (or an outcome we could not read): start afresh.
            await self.close()
            raise


# -- SQLite (and anything without COPY): INSERT OR IGNORE … RETURNING ---------------
async def insert_sqlalchemy(
    engine: AsyncEngine, status: list[StatusRow], kpis: list[KpiRow], received: datetime
) -> set[tuple[Any, ...]]:
    """Store the batch in one transaction; the keys of the new rows."""
    name = engine.dialect.name
    inserted: set[tuple[Any, ...]] = set()
    async with engine.begin() as conn:
        if status:
            table = StatusEvent.__table__
            stmt = dialect.insert_ignore(name, table).returning(  # type: ignore[arg-type]
                table.c.service_id, table.c.event_id, table.c.time
            )
            values = [
                {
                    "time": r.time,
                    "service_id": r.service_id,
                    "event_id": r.event_id,
                    "status": r.status,
                    "message": r.message,
                    "latency_ms": r.latency_ms,
                    "source": r.source,
                    "received_at": received,
                }
                for r in status
            ]
            for row in await _insert_many(conn, stmt, values):
                inserted.add(("s", *row))
        if kpis:
            table = KpiSample.__table__
            stmt = dialect.insert_ignore(name, table).returning(  # type: ignore[arg-type]
                table.c.kpi_id, table.c.sample_id, table.c.time
            )
            values = [
                {
                    "time": k.time,
                    "kpi_id": k.kpi_id,
                    "sample_id": k.sample_id,
                    "value": k.value,
                    "received_at": received,
                }
                for k in kpis
            ]
            for row in await _insert_many(conn, stmt, values):
                inserted.add(("k", *row))
    return inserted


async def _copy(cur: Any, table: str, cols: str, types: list[str], rows: list[Any]) -> None:
    # Table and column names are constants of this module, never input.
    async with cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            await copy.write_row(row)


async def _insert_many(conn: Any, stmt: Any, values: list[dict[str, Any]]) -> list[Any]:
    # SQLite limits bound parameters per statement: insert in slices.
    out: list[Any] = []
    for start in range(0, len(values), 500):
        result = await conn.execute(stmt, values[start : start + 500])
        out.extend(tuple(r) for r in result.all())
    return out
