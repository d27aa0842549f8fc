"""Hundreds of pushes in flight against TimescaleDB: stored rows equal acknowledged rows."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from jcoc.app import create_app
from jcoc.db.base import utcnow
from jcoc.db.engine import create_engine
from jcoc.status.models import StatusEvent
from tests.ingest.conftest import bearer, seed_city
from tests.live import LiveServer

pytestmark = pytest.mark.timescale


async def test_concurrent_pushers_row_count_equals_accepted(ts_settings) -> None:
    city = await seed_city(ts_settings)
    requests = 210
    now = utcnow().isoformat()

    def body(n: int) -> dict:
        # Every 3rd request repeats the events of the request before it (a retry).
        base = n - 1 if n % 3 == 2 else n
        return {
            "events": [
                {"service": s, "status": "up", "time": now, "id": f"r{base}-{s}"}
                for s in ("atcs", "parkir")
            ]
        }

    with LiveServer(lambda: create_app(ts_settings)) as server:
        limits = httpx.Limits(max_connections=requests, max_keepalive_connections=requests)
        async with httpx.AsyncClient(
            base_url=server.url, headers=bearer(city.dishub_key), limits=limits, timeout=60
        ) as c:
            answers = await asyncio.gather(
                *(c.post("/api/v1/status", json=body(n)) for n in range(requests))
            )
        stats = server.app.state.writer.stats
    assert {r.status_code for r in answers} == {202}, [r.text for r in answers[:3]]
    accepted = sum(r.json()["accepted"] for r in answers)
    duplicates = sum(r.json()["duplicates"] for r in answers)
    engine = create_engine(ts_settings)
    async with engine.connect() as conn:
        stored = await conn.scalar(select(func.count()).select_from(StatusEvent))
    await engine.dispose()
    assert stored == accepted
    assert accepted + duplicates == 2 * requests
    assert duplicates == 2 * (requests // 3)
    # Group commit: fewer transactions than requests.
    assert stats.batches < requests
