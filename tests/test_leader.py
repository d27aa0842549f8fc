"""Leader election: the city-wide jobs run in exactly one of the processes sharing a database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from jcoc.app import create_app
from jcoc.auth import service as auth_service
from jcoc.config import Settings
from jcoc.db.engine import create_engine, detect_flavor, session_factory
from jcoc.db.leader import APPLICATION_NAME, LOCK_KEYS, Leader, SingletonJobs
from jcoc.opd import service as opd
from tests.live import LiveServer
from tests.services import free_port

# Two election groups: city-wide jobs, and probes (also contended by `jcoc ingest probes`).
SINGLETON_JOBS = ["incident_engine", "webhook_sender", "retention_component", "probes_component"]


@dataclass
class ProbeTarget:
    """A service's health URL that counts how often it is probed."""

    url: str
    hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def probe_target() -> Iterator[ProbeTarget]:
    target = ProbeTarget(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with target.lock:
                target.hits += 1
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    target.url = f"http://127.0.0.1:{server.server_address[1]}/health"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class ApiProcess:
    """`uvicorn --factory jcoc.app:create_app` in its own process, configured by JCOC_* env."""

    def __init__(self, settings: Settings, cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"api-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("JCOC_")}
        env.update(
            JCOC_ENV="test",
            JCOC_SECRET_KEY=settings.secret_key,
            JCOC_DATABASE_URL=settings.database_url,
            JCOC_TIMESCALE="on",
            JCOC_DATA_DIR=str(cwd),
            JCOC_CAMERAS_ENABLED="false",
            JCOC_LEADER_RETRY_SECONDS="0.3",
        )
        with self.log.open("w") as log:
            serve = ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "jcoc.app:create_app", *serve],
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def readyz(self) -> dict[str, Any] | None:
        assert self.proc.poll() is None, self.log.read_text()[-2000:]
        try:
            answer = httpx.get(f"{self.url}/readyz", timeout=2)
        except httpx.HTTPError:
            return None
        return answer.json() if answer.status_code == 200 else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def until(what: str, check: Any, timeout: float = 20.0) -> Any:
    """Poll `check()` (run in a thread) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


@asynccontextmanager
async def ts_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    await detect_flavor(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.mark.timescale
async def test_one_leader_among_processes_and_failover(
    ts_settings: Settings, tmp_path: Path
) -> None:
    with probe_target() as target:
        async with ts_engine(ts_settings) as engine, session_factory(engine)() as s:
            agency = await opd.create_agency(db_session=s, code="dpmptsp", name="DPMPTSP")
            # One probe at start, then not for an hour: every probe hit is one process probing.
            await opd.create_service(
                db_session=s,
                agency=agency,
                code="e-perizinan",
                name="E-Perizinan",
                probe_kind="http",
                probe_target=target.url,
                probe_interval_s=3600,
            )
            await s.commit()
        a = ApiProcess(ts_settings, tmp_path)
        b = ApiProcess(ts_settings, tmp_path)
        try:
            ready = await until("both processes ready", lambda: a.readyz() and b.readyz())
            states = await until(
                "a leader", lambda: [r for p in (a, b) if (r := p.readyz()) and r["leader"]]
            )
            assert len(states) == 1, ready
            # Every singleton job runs in exactly one of the two processes.
            jobs = await until(
                "all jobs placed",
                lambda: (
                    (j := [x for p in (a, b) for x in (p.readyz() or {}).get("jobs", [])])
                    and sorted(j) == sorted(SINGLETON_JOBS)
                    and j
                ),
            )
            assert len(jobs) == len(set(jobs))
            leader, follower = (a, b) if a.readyz()["leader"] else (b, a)  # type: ignore[index]
            leader_probes = "probes" in leader.readyz()["leads"]  # type: ignore[index]
            await until("the first probe", lambda: target.hits >= 1)

            # While both live, the probe runs in one process only.
            watched_until = time.monotonic() + 1.5
            while time.monotonic() < watched_until:
                state = await asyncio.to_thread(follower.readyz)
                assert state is not None and state["leader"] is False
                assert target.hits == 1, "the probe ran in two processes"
                await asyncio.sleep(0.1)

            await asyncio.to_thread(leader.stop)
            state = await until(
                "failover",
                lambda: (r := follower.readyz()) and r["leader"] and "probes" in r["leads"] and r,
            )
            assert state["jobs"] == SINGLETON_JOBS
            if leader_probes:  # the survivor took the probes over and probes at once
                await until("the new prober's probe", lambda: target.hits >= 2)
        finally:
            await asyncio.gather(asyncio.to_thread(a.stop), asyncio.to_thread(b.stop))
    assert target.hits == (2 if leader_probes else 1)


@pytest.mark.timescale
async def test_a_dropped_lock_connection_hands_leadership_over(ts_settings: Settings) -> None:
    async with ts_engine(ts_settings) as engine:
        first = Leader(engine=engine, key=LOCK_KEYS["jobs"], retry_s=0.2)
        second = Leader(engine=engine, key=LOCK_KEYS["jobs"], retry_s=0.2)
        try:
            assert await first.try_acquire() and first.is_leader
            assert not await second.try_acquire() and not second.is_leader
            assert await first.check()  # still held

            # The database ends the leader's session (restart, network cut, admin).
            async with engine.connect() as conn:
                pid = await conn.scalar(
                    text(
                        "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                        "WHERE l.locktype = 'advisory' AND a.application_name = :app"
                    ),
                    {"app": APPLICATION_NAME},
                )
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert not await first.check() and not first.is_leader  # it steps down
            assert await second.try_acquire()  # and another process takes over
            assert not await first.try_acquire()  # one leader at a time

            await second.release()
            assert await first.try_acquire()
        finally:
            await first.release()
            await second.release()


@pytest.mark.timescale
async def test_jobs_start_and_stop_with_leadership(ts_settings: Settings) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def job(_app: Any) -> AsyncIterator[None]:
        events.append("start")
        try:
            yield
        finally:
            events.append("stop")

    async with ts_engine(ts_settings) as engine:
        leader = Leader(engine=engine, key=LOCK_KEYS["jobs"], retry_s=0.1)
        rival = Leader(engine=engine, key=LOCK_KEYS["jobs"], retry_s=0.1)
        assert await rival.try_acquire()
        jobs = SingletonJobs(None, leader, (job,))
        await jobs.start()
        try:
            assert events == [] and jobs.names == []  # a follower runs nothing
            await rival.release()
            await until("leadership", lambda: jobs.running, timeout=10)
            assert events == ["start"] and jobs.names == ["job"]
        finally:
            await jobs.stop()
            with contextlib.suppress(Exception):
                await rival.release()
    assert events == ["start", "stop"]


async def test_a_single_process_is_the_leader(settings: Settings, engine: AsyncEngine) -> None:
    """SQLite (always the leader) and TimescaleDB (the lock is free) alike."""
    async with session_factory(engine)() as s:
        kiosk = (await auth_service.create_kiosk_token(db_session=s, name="dinding")).token
        await s.commit()

    def scrape() -> tuple[dict[str, Any], str]:
        with LiveServer(lambda: create_app(settings)) as server:
            state = httpx.get(f"{server.url}/readyz").json()
            bearer = {"Authorization": f"Bearer {kiosk}"}
            return state, httpx.get(f"{server.url}/metrics", headers=bearer).text

    state, metrics = await asyncio.to_thread(scrape)
    assert state["leader"] is True
    assert state["jobs"] == SINGLETON_JOBS
    assert "\njcoc_leader 1.0\n" in metrics
