"""The database goes away under load: no 2xx for anything uncommitted, and recovery alone."""

from __future__ import annotations

import asyncio
import signal
import subprocess

import httpx
import psycopg
import pytest
from sqlalchemy import select

from jcoc.app import create_app
from jcoc.db import migrate
from jcoc.db.base import utcnow
from jcoc.db.engine import create_engine
from jcoc.status.models import StatusEvent
from tests import services
from tests.conftest import make_settings
from tests.ingest.conftest import bearer, seed_city
from tests.live import LiveServer

pytestmark = [pytest.mark.timescale, pytest.mark.slow]


@pytest.fixture
def private_pg(pg_server, tmp_path):
    """A TimescaleDB of this test's own, so stopping it harms no one else."""
    with services.postgres(timescale=True) as server:
        with psycopg.connect(server.psql_dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE jcoc")
        settings = make_settings(database_url=server.url("jcoc"), timescale="on", data_dir=tmp_path)
        migrate.upgrade(settings)
        yield server, settings


def stop_fast(server: services.PgServer) -> None:
    """Fast shutdown (SIGINT): open connections are cut, as in a crash of the server."""
    proc: subprocess.Popen[bytes] = server.proc  # type: ignore[attr-defined]
    proc.send_signal(signal.SIGINT)
    proc.wait(30)
    services.stop_postgres(server)


async def test_outage_mid_load(private_pg) -> None:
    server, settings = private_pg
    city = await seed_city(settings)
    acked: set[str] = set()
    statuses: list[int] = []
    phase = {"name": "before"}
    after_recovery: list[int] = []
    counter = iter(range(10**9))

    async def pusher(c: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            ids = [f"ev-{next(counter)}" for _ in range(3)]
            body = {
                "events": [
                    {"service": "atcs", "status": "up", "time": utcnow().isoformat(), "id": i}
                    for i in ids
                ]
            }
            try:
                r = await c.post("/api/v1/status", json=body)
            except httpx.HTTPError:
                continue
            statuses.append(r.status_code)
            if phase["name"] == "after":
                after_recovery.append(r.status_code)
            if 200 <= r.status_code < 300:
                acked.update(ids)
            else:
                assert r.status_code == 503, r.text
                assert int(r.headers["Retry-After"]) >= 1
            await asyncio.sleep(0.005)

    with LiveServer(lambda: create_app(settings)) as live:
        async with httpx.AsyncClient(
            base_url=live.url, headers=bearer(city.dishub_key), timeout=30
        ) as c:
            stop = asyncio.Event()
            tasks = [asyncio.create_task(pusher(c, stop)) for _ in range(20)]
            await _until(lambda: len(acked) > 300)
            await asyncio.to_thread(stop_fast, server)
            phase["name"] = "down"
            await _until(lambda: statuses.count(503) > 20)
            await asyncio.to_thread(services.start_postgres, server)
            phase["name"] = "after"
            # The server recovers by itself: pushes succeed again without a restart.
            await _until(lambda: sum(200 <= s < 300 for s in after_recovery) > 50, timeout=60)
            stop.set()
            await asyncio.gather(*tasks)
    assert not any(s >= 500 and s != 503 for s in statuses)
    engine = create_engine(settings)
    async with engine.connect() as conn:
        stored = set((await conn.scalars(select(StatusEvent.event_id))).all())
    await engine.dispose()
    assert acked <= stored, f"{len(acked - stored)} acknowledged events were lost"
    assert 503 in statuses


async def _until(condition, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.05)
