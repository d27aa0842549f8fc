"""The group-commit writer: every stored status event and KPI sample goes through here.

A request (or a probe) validates its rows, calls `write()` and awaits the result. The
writer gathers the rows of all requests waiting at that moment (plus a few milliseconds),
writes them in ONE transaction — on PostgreSQL a binary COPY straight into the table when
every row is new (a lone COPY on an autocommit connection: committed when it completes),
else a COPY into a temporary table, then `INSERT … SELECT … ON CONFLICT DO NOTHING
RETURNING` to tell new rows from duplicates — commits, and only then answers every request.
So an answer means durable; a database error answers every request of the batch with
`DatabaseUnavailable` (the API turns it into 503 + Retry-After) and the next batch
reconnects. Committed facts are then published on the bus (`status`, `kpi`; shapes in
docs/bus-events.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from jcoc.bus import Bus
from jcoc.config import Settings
from jcoc.db import dialect
from jcoc.db.base import utcnow
from jcoc.kpi.models import KpiSample
from jcoc.status.models import StatusEvent

log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The batch could not be committed; nothing of it may be acknowledged."""


class Overloaded(RuntimeError):
    """Too many rows are waiting already; the caller should retry shortly."""


@dataclass(slots=True)
class StatusRow:
    service_id: int
    service: str
    agency: str
    event_id: str
    time: datetime
    status: str
    message: str = ""
    latency_ms: float | None = None
    source: str = "push"

    @property
    def key(self) -> tuple[Any, ...]:
        return ("s", self.service_id, self.event_id, self.time)


@dataclass(slots=True)
class KpiRow:
    kpi_id: int
    kpi: str
    agency: str
    sample_id: str
    time: datetime
    value: float

    @property
    def key(self) -> tuple[Any, ...]:
        return ("k", self.kpi_id, self.sample_id, self.time)


Row = StatusRow | KpiRow


@dataclass(frozen=True)
class WriteResult:
    """Per input row, in order: True when it was new, False when it was a duplicate."""

    new: list[bool]

    @property
    def accepted(self) -> int:
        return sum(self.new)

    @property
    def duplicates(self) -> int:
        return len(self.new) - self.accepted


@dataclass
class WriterStats:
    """Counters exposed for metrics."""

    batches: int = 0
    rows: int = 0
    duplicates: int = 0
    errors: int = 0
    rejected_overload: int = 0
    pending_rows: int = 0
    largest_batch: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _Pending:
    rows: Sequence[Row]
    future: asyncio.Future[WriteResult]
    new: list[bool] = field(default_factory=list)


_STATUS_COLS = "time, service_id, event_id, status, message, latency_ms, source, received_at"
_STATUS_TYPES = ["timestamptz", "int4", "text", "text", "text", "float8", "text", "timestamptz"]
_KPI_COLS = "time, kpi_id, sample_id, value, received_at"
_KPI_TYPES = ["timestamptz", "int4", "text", "float8", "timestamptz"]


class Writer:
    """Group commit of status events and KPI samples, shared by every request and probe."""

    def __init__(
        self,
        *,
        settings: Settings,
        engine: AsyncEngine,
        bus: Bus | None,
        window_s: float = 0.001,
        max_batch_rows: int = 20_000,
        max_pending_rows: int = 200_000,
        connect_timeout_s: float = 3.0,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.bus = bus
        self.window_s = window_s
        self.max_batch_rows = max_batch_rows
        self.max_pending_rows = max_pending_rows
        self.connect_timeout_s = connect_timeout_s
        self.stats = WriterStats()
        self.retry_after_s = 2
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._pg: Any = None  # psycopg.AsyncConnection, opened lazily, reopened after errors
        self._slow_left = 0  # batches left to write on the exact (temp table) path
        self._last_batch_requests = 0

    # -- lifecycle -----------------------------------------------------------------
    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ingest-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if not pending.future.done():
                pending.future.set_exception(DatabaseUnavailable("the writer is stopping"))
        await self._close_pg()

    # -- API -----------------------------------------------------------------------
    async def write(self, rows: Sequence[Row]) -> WriteResult:
        """Store `rows` in the next group commit; returns once they are committed."""
        if not rows:
            return WriteResult([])
        if self._task is None:
            raise DatabaseUnavailable("the writer is not running")
        if self.stats.pending_rows + len(rows) > self.max_pending_rows:
            self.stats.rejected_overload += 1
            raise Overloaded(f"{self.stats.pending_rows} rows are waiting to be written")
        future: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        self.stats.pending_rows += len(rows)
        self._queue.put_nowait(_Pending(rows, future))
        return await future

    # -- batching ------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            size = len(batch[0].rows)
            # Wait `window_s` for company only when requests are arriving concurrently (the
            # last batch gathered several); a lone sender is not delayed for nothing.
            window = self.window_s if self._last_batch_requests > 1 else 0.0
            deadline = asyncio.get_running_loop().time() + window
            while size < self.max_batch_rows:
                if self._queue.empty():
                    remaining = deadline - asyncio.get_running_loop().time()
                    if remaining <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(self._queue.get(), remaining)
                    except TimeoutError:
                        break
                else:
                    item = self._queue.get_nowait()
                batch.append(item)
                size += len(item.rows)
            self._last_batch_requests = len(batch)
            try:
                await self._commit_batch(batch, size)
            except Exception:
                # Never let the writer die: every waiting request must get an answer.
                log.exception("writer: unexpected error; failing the batch")
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(DatabaseUnavailable("ingest writer error"))

    async def _commit_batch(self, batch: list[_Pending], size: int) -> None:
        self.stats.pending_rows -= size
        # The first occurrence of a key in the batch is the candidate; repeats are duplicates.
        unique: dict[tuple[Any, ...], Row] = {}
        keys: list[tuple[Any, ...]] = []
        first: list[bool] = []
        for pending in batch:
            for row in pending.rows:
                key = row.key
                keys.append(key)
                first.append(unique.setdefault(key, row) is row)
        received = utcnow()
        try:
            inserted = await self._insert(list(unique.values()), received)
        except Exception as exc:
            self.stats.errors += 1
            log.warning("writer: batch of %d rows not committed: %s", size, exc)
            error = DatabaseUnavailable(f"database unavailable: {type(exc).__name__}")
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(error)
            return
        self.stats.batches += 1
        self.stats.largest_batch = max(self.stats.largest_batch, size)
        if inserted is None:  # every candidate was new
            new_flags = first
        else:
            new_flags = [f and k in inserted for f, k in zip(first, keys, strict=True)]
        published: list[Row] = []
        at = 0
        for pending in batch:
            n = len(pending.rows)
            new = new_flags[at : at + n]
            at += n
            published.extend(r for r, is_new in zip(pending.rows, new, strict=True) if is_new)
            if not pending.future.done():
                pending.future.set_result(WriteResult(new))
        self.stats.rows += len(published)
        self.stats.duplicates += size - len(published)
        await self._publish(published, received)

    async def _insert(self, rows: list[Row], received: datetime) -> set[tuple[Any, ...]] | None:
        """Store the batch in one transaction; None when every row was new, else the new keys."""
        status = [r for r in rows if isinstance(r, StatusRow)]
        kpis = [r for r in rows if isinstance(r, KpiRow)]
        if dialect.supports_copy(self.engine.dialect.name):
            return await self._insert_pg(status, kpis, received)
        return await self._insert_sqlalchemy(status, kpis, received)

    # -- PostgreSQL: binary COPY into a temp table, then INSERT … ON CONFLICT ---------
    async def _connect_pg(self) -> Any:
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

    async def _close_pg(self) -> None:
        if self._pg is not None:
            with contextlib.suppress(Exception):
                await self._pg.close()
        self._pg = None

    async def _insert_pg(
        self, status: list[StatusRow], kpis: list[KpiRow], received: datetime
    ) -> set[tuple[Any, ...]] | None:
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
            conn = await self._connect_pg()
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
            await self._close_pg()
            raise

    # -- SQLite (and anything without COPY): INSERT OR IGNORE … RETURNING -------------
    async def _insert_sqlalchemy(
        self, status: list[StatusRow], kpis: list[KpiRow], received: datetime
    ) -> set[tuple[Any, ...]]:
        name = self.engine.dialect.name
        inserted: set[tuple[Any, ...]] = set()
        async with self.engine.begin() as conn:
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

    # -- after commit --------------------------------------------------------------
    async def _publish(self, rows: list[Row], received: datetime) -> None:
        if self.bus is None or not rows:
            return
        # One message per row built in one pass (rows of a batch mostly share their time:
        # format each distinct time once), published run by run of the same channel in row
        # order with one call each, instead of one awaited publish per row.
        received_iso = received.isoformat()
        iso: dict[datetime, str] = {}
        runs: list[tuple[str, list[dict[str, Any]]]] = []
        channel = ""
        messages: list[dict[str, Any]] = []
        for row in rows:
            when = row.time
            when_iso = iso.get(when)
            if when_iso is None:
                when_iso = iso[when] = when.isoformat()
            if isinstance(row, StatusRow):
                if channel != "status":
                    channel, messages = "status", []
                    runs.append((channel, messages))
                messages.append(
                    {
                        "service": row.service,
                        "agency": row.agency,
                        "status": row.status,
                        "time": when_iso,
                        "received_at": received_iso,
                        "message": row.message,
                        "latency_ms": row.latency_ms,
                        "source": row.source,
                        "event_id": row.event_id,
                    }
                )
            else:
                if channel != "kpi":
                    channel, messages = "kpi", []
                    runs.append((channel, messages))
                messages.append(
                    {"kpi": row.kpi, "agency": row.agency, "value": row.value, "time": when_iso}
                )
        for run_channel, run in runs:
            try:
                await self.bus.publish_many(run_channel, run)
            except Exception:
                # The facts are committed; live views catch up from the database.
                log.warning("writer: publishing committed facts failed", exc_info=True)


async def _copy(cur: Any, table: str, cols: str, types: list[str], rows: list[Any]) -> None:
    # Table and column names are constants of this module, never input.
    async with cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            await copy.write_row(row)


def status_message(row: StatusRow, received_iso: str) -> dict[str, Any]:
    """The `status` bus message of a committed event (docs/bus-events.md)."""
    return {
        "service": row.service,
        "agency": row.agency,
        "status": row.status,
        "time": row.time.isoformat(),
        "received_at": received_iso,
        "message": row.message,
        "latency_ms": row.latency_ms,
        "source": row.source,
        "event_id": row.event_id,
    }


async def _insert_many(conn: Any, stmt: Any, values: list[dict[str, Any]]) -> list[Any]:
    # SQLite limits bound parameters per statement: insert in slices.
    out: list[Any] = []
    for start in range(0, len(values), 500):
        result = await conn.execute(stmt, values[start : start + 500])
        out.extend(tuple(r) for r in result.all())
    return out
