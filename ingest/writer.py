"""The group-commit writer: every stored status event and KPI sample goes through here.

A request (or a probe) validates its rows, calls `write()` and awaits the result. The
writer gathers the rows of all requests waiting at that moment (plus a few milliseconds),
writes them in ONE transaction (how, per database: ingest/store.py), which also tells new
rows from duplicates, and only once it is committed answers every request.
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

from sqlalchemy.ext.asyncio import AsyncEngine

from ingest.rows import KpiRow, Row, StatusRow
from ingest.store import PgStore, insert_sqlalchemy
from jcoc.bus import Bus
from jcoc.config import Settings
from jcoc.db import dialect
from jcoc.db.base import utcnow

log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The batch could not be committed; nothing of it may be acknowledged."""


class Overloaded(RuntimeError):
    """Too many rows are waiting already; the caller should retry shortly."""


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
        self.stats = WriterStats()
        self.retry_after_s = 2
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._pg = PgStore(engine, connect_timeout_s)
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
        await self._pg.close()

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
            return await self._pg.insert(status, kpis, received)
        return await insert_sqlalchemy(self.engine, status, kpis, received)

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
