"""The push API over real HTTP vs baselines measured side by side in the same run.

    python -m bench.ingest_http

(2) single-event pushes/s: the real app (API key check, validation, group commit into
    TimescaleDB) vs a stub endpoint doing the same validation with no database at all;
(3) 100-event batch pushes, rows/s: the real app vs raw psycopg binary COPY.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx
from fastapi import FastAPI, Request

from bench.ingest_setup import raw_copy_rows_per_s, row, timescale
from ingest import push
from ingest import router as ingest_router
from ingest.component import writer_component
from ingest.registry import Owned
from ingest.router import _read_body
from ingest.schemas import PushResult, StatusPush
from jcoc.bus import create_bus
from jcoc.config import Settings
from jcoc.db.base import utcnow
from jcoc.db.engine import create_engine, detect_flavor, session_factory
from jcoc.incident.engine import incident_engine
from tests.ingest.conftest import bearer
from tests.live import LiveServer

SINGLE_REQUESTS = 1500
BATCH_REQUESTS = 300
BATCH_SIZE = 100
CONCURRENCY = 8  # like a few busy agency systems


def ingest_app(settings: Settings) -> FastAPI:
    """The ingest path as deployed: API-key auth, validation, group-commit writer, and the
    incident engine consuming every published status event.

    The all-in-one server also runs the hub, which is measured by its own benchmarks.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        app.state.flavor = await detect_flavor(engine)
        app.state.bus = create_bus(None)
        async with writer_component(app), incident_engine(app):
            yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.state.settings = settings
    app.include_router(ingest_router.router)
    return app


def stub_app(settings: Settings) -> FastAPI:
    """Same body limit, parsing and per-event checks as the real endpoint; no database."""
    app = FastAPI()
    services = {"atcs": Owned(1, "atcs", "dishub")}

    @app.post("/api/v1/status", status_code=202)
    async def status(request: Request) -> PushResult:
        body = await _read_body(request, settings.max_body_bytes)
        parsed = push.parse(StatusPush, body, "events", settings)
        rows = push.status_rows(parsed.events, services, "dishub", utcnow(), settings)
        ids = [r.event_id for r in rows]
        return PushResult(accepted=len(ids), duplicates=0, ids=ids, duplicate_ids=[])

    return app


def load(url: str, key: str, requests: int, size: int, prefix: str) -> float:
    """Run the load generator in a process of its own, so it does not share the server's GIL."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        return pool.submit(_load, url, key, requests, size, prefix).result()


def _load(url: str, key: str, requests: int, size: int, prefix: str) -> float:
    return asyncio.run(pushes_per_s(url, key, requests, size, prefix))


async def pushes_per_s(url: str, key: str, requests: int, size: int, prefix: str) -> float:
    """Requests/s of `requests` pushes of `size` events each, CONCURRENCY at a time."""
    now = utcnow().isoformat()
    bodies = [
        json.dumps(
            {
                "events": [
                    {"service": "atcs", "status": "up", "time": now, "id": f"{prefix}-{n}-{i}"}
                    for i in range(size)
                ]
            }
        ).encode()
        for n in range(requests)
    ]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    headers = {**bearer(key), "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as c:
        # Warm up the connections and the server outside the timing.
        for w in range(CONCURRENCY):  # own ids: a duplicate would switch to the exact path
            await c.post(
                "/api/v1/status",
                json={"events": [{"service": "atcs", "status": "up", "time": now,
                                  "id": f"{prefix}-warm-{w}"}]},
            )  # fmt: skip

        async def worker() -> None:
            while not queue.empty():
                r = await c.post("/api/v1/status", content=queue.get_nowait())
                if r.status_code != 202:
                    raise RuntimeError(f"push failed: {r.status_code} {r.text}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return requests / (time.perf_counter() - start)


def run() -> list[dict[str, Any]]:
    with timescale() as bench:
        key = bench.city.dishub_key
        with LiveServer(lambda: stub_app(bench.settings)) as stub:
            stub_rps = load(stub.url, key, SINGLE_REQUESTS, 1, "stub")
        with LiveServer(lambda: ingest_app(bench.settings)) as real:
            ours_rps = load(real.url, key, SINGLE_REQUESTS, 1, "single")
            batch_rps = load(real.url, key, BATCH_REQUESTS, BATCH_SIZE, "batch")
        raw = raw_copy_rows_per_s(bench, BATCH_REQUESTS * BATCH_SIZE, 5_000, "raw")
    return [
        row(
            f"push API: single-event pushes/s ({CONCURRENCY} clients) vs stub without database",
            ours_rps,
            stub_rps,
            "requests/s",
            ">= 0.75",
        ),
        row(
            f"push API: {BATCH_SIZE}-event batches, rows/s vs raw binary COPY",
            batch_rps * BATCH_SIZE,
            raw,
            "rows/s",
            ">= 0.25",
        ),
    ]


if __name__ == "__main__":
    for r in run():
        print(r)
