"""Leader election: background jobs that must run in one process only, whatever N is.

Several API processes share one database (docs/scaling.md). Jobs that act on the whole
city — active probes, the incident/SLA engine, the webhook sender, retention — must run in
exactly one of them, or probes run N times, reminders go out N times and a webhook is sent
twice. The processes elect a leader per job group:

- PostgreSQL/TimescaleDB: a session-level advisory lock (`pg_try_advisory_lock(KEY)`) held
  on a dedicated autocommit connection (not from the pool, so the lock can never leak to
  another user of a pooled connection). Followers try again every `retry_s` seconds; the
  leader checks every `retry_s` that its connection is alive and still holds the lock, and
  steps down (stops its jobs) the moment it does not. PostgreSQL releases the lock when the
  session ends, and `idle_session_timeout` ends the session of a leader that stopped
  checking (hung process, half-open TCP), so a follower takes over within seconds.
- SQLite: one process owns the file; it is always the leader.

`singleton(*components)` wraps app components (see jcoc/app.py) so they are started when
this process gains leadership and stopped when it loses it. `app.state.leader` exposes the
state to /readyz.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

import psycopg
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

Component = Callable[[Any], AbstractAsyncContextManager[None]]

# Advisory lock keys (bigint): "JCOC" in the high 32 bits, the job group in the low ones.
# Constant forever: processes of different versions must still exclude each other.
JOBS = "jobs"
# Probes are their own group: API processes and `jcoc ingest probes` processes all contend
# for it, so exactly one process in the city probes, whichever way it is deployed.
PROBES = "probes"
LOCK_KEYS = {JOBS: (0x4A434F43 << 32) | 1, PROBES: (0x4A434F43 << 32) | 2}
APPLICATION_NAME = "jcoc-leader"


def _conninfo(url: URL) -> str:
    """A libpq URI for psycopg from the engine's SQLAlchemy URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Leader:
    """Leadership of one job group among the processes sharing a database."""

    def __init__(self, *, engine: AsyncEngine, key: int, retry_s: float) -> None:
        self.key = key
        self.retry_s = retry_s
        self.always = engine.dialect.name == "sqlite"  # one process owns the file
        self.is_leader = self.always
        self._url = engine.url
        self._conn: psycopg.AsyncConnection[Any] | None = None
        # A query on the lock connection taking longer than this means it is gone. Short:
        # the first attempt runs during start-up, which must not wait long on a dead database.
        self._timeout = max(2.0, min(5.0, 2 * retry_s))

    async def try_acquire(self) -> bool:
        """Take the lock if free; True when this process is (now) the leader."""
        if self.always or self.is_leader:
            return True
        try:
            conn = await self._connection()
            got = await self._scalar(conn, "SELECT pg_try_advisory_lock(%s)", (self.key,))
        except Exception as exc:
            log.info("leader election: database not reachable (%s); retrying", exc)
            await self._close()
            return False
        if got:
            self._set(True)
        return bool(got)

    async def check(self) -> bool:
        """Whether this process still holds the lock; steps down when it does not."""
        if self.always or not self.is_leader:
            return self.is_leader
        held = False
        try:
            assert self._conn is not None
            held = bool(
                await self._scalar(
                    self._conn,
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND classid = %s AND objid = %s AND objsubid = 1",
                    (self.key >> 32, self.key & 0xFFFFFFFF),
                )
            )
        except Exception as exc:
            log.warning("leader election: lost the lock connection (%s)", exc)
        if not held:
            self._set(False)
            await self._close()
        return held

    async def release(self) -> None:
        """Give up leadership (closing the session releases the lock)."""
        if self.always:
            return
        if self.is_leader:
            self._set(False)
            if self._conn is not None:
                # Unlock explicitly: the server ends a closed session only a moment later,
                # and a follower should not have to wait for that.
                with contextlib.suppress(Exception):
                    await self._scalar(self._conn, "SELECT pg_advisory_unlock(%s)", (self.key,))
        await self._close()

    def _set(self, leader: bool) -> None:
        self.is_leader = leader
        log.warning(
            "this process %s the leader of its job group",
            "is now" if leader else "is no longer",
        )

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        conn = await asyncio.wait_for(
            psycopg.AsyncConnection.connect(
                _conninfo(self._url),
                autocommit=True,
                application_name=APPLICATION_NAME,
                connect_timeout=max(2, int(self._timeout)),
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=3,
            ),
            self._timeout + 1.0,
        )
        # The server ends a session that stays idle this long: a leader that stopped
        # checking (hung, or cut off by a half-open connection) loses its lock soon.
        idle_ms = int(max(30.0, 6 * self.retry_s) * 1000)
        with contextlib.suppress(psycopg.Error):  # PostgreSQL < 14 has no such setting
            await conn.execute(
                "SELECT set_config('idle_session_timeout', %s, false)", (str(idle_ms),)
            )
        self._conn = conn
        return conn

    async def _scalar(
        self, conn: psycopg.AsyncConnection[Any], sql: str, params: tuple[int, ...]
    ) -> Any:
        async def run() -> Any:
            cur = await conn.execute(sql, params)  # type: ignore[arg-type]
            row = await cur.fetchone()
            return row[0] if row else None

        return await asyncio.wait_for(run(), self._timeout)

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), self._timeout)


class SingletonJobs:
    """Runs `components` while `leader` holds leadership, re-checking every `retry_s`."""

    def __init__(self, app: Any, leader: Leader, components: tuple[Component, ...]) -> None:
        self.app = app
        self.leader = leader
        self.components = components
        self.running = False
        self._jobs: AsyncExitStack | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def names(self) -> list[str]:
        """Names of the jobs this process runs now (empty on a follower)."""
        if not self.running:
            return []
        return [getattr(c, "__name__", repr(c)) for c in self.components]

    async def start(self) -> None:
        # One attempt before the app serves: a lone process starts serving with its jobs
        # already running (as before leader election existed).
        await self._step()
        self._task = asyncio.create_task(self._run(), name="leader-election")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
        else:
            await self._stop_jobs()
            await self.leader.release()

    async def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.leader.retry_s)
                if not self._stopping.is_set():
                    await self._step()
        finally:
            await self._stop_jobs()
            await self.leader.release()

    async def _step(self) -> None:
        try:
            if self.running:
                if not await self.leader.check():
                    await self._stop_jobs()
            elif await self.leader.try_acquire():
                await self._start_jobs()
        except Exception:
            log.exception("singleton jobs: unexpected error; stepping down and retrying")
            await self._stop_jobs()
            await self.leader.release()

    async def _start_jobs(self) -> None:
        stack = AsyncExitStack()
        try:
            for component in self.components:
                await stack.enter_async_context(component(self.app))
        except Exception:
            log.exception("singleton jobs failed to start; giving up leadership to retry")
            await stack.aclose()
            await self.leader.release()
            return
        self._jobs = stack
        self.running = True
        log.info("singleton jobs running: %s", ", ".join(self.names))

    async def _stop_jobs(self) -> None:
        stack, self._jobs = self._jobs, None
        if stack is not None:
            self.running = False
            try:
                await stack.aclose()
            except Exception:
                log.exception("singleton jobs: error while stopping")
            log.info("singleton jobs stopped")


def singleton(*components: Component, group: str = JOBS) -> Component:
    """One component running `components` only while this process leads `group`."""

    @contextlib.asynccontextmanager
    async def singleton_jobs(app: Any) -> AsyncIterator[None]:
        leader = Leader(
            engine=app.state.engine,
            key=LOCK_KEYS[group],
            retry_s=app.state.settings.leader_retry_seconds,
        )
        jobs = SingletonJobs(app, leader, components)
        if not hasattr(app.state, "job_groups"):
            app.state.job_groups = {}
        app.state.job_groups[group] = jobs
        if group == JOBS:
            app.state.leader = leader
        await jobs.start()
        try:
            yield
        finally:
            await jobs.stop()

    return singleton_jobs
