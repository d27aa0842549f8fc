"""Active probes against real local servers that go down and come back."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from jcoc.app import create_app
from tests.ingest.conftest import City, bearer
from tests.live import LiveServer


class Health:
    """A tiny HTTP service whose answer the test controls."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b"status: ok"
        health = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(health.status)
                self.send_header("Content-Length", str(len(health.body)))
                self.end_headers()
                self.wfile.write(health.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/health"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def health() -> Iterator[Health]:
    h = Health()
    yield h
    h.close()


@pytest.fixture
def server(city: City):
    with LiveServer(lambda: create_app(city.settings)) as srv:
        yield srv


async def _wait_status(c: httpx.AsyncClient, code: str, want: str, timeout: float = 20) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = (await c.get(f"/api/v1/services/{code}")).json()
        if body.get("reported_status") == want:
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{code} never became {want}: {body}")
        await asyncio.sleep(0.1)


async def test_http_probe_goes_down_and_comes_back(server, city, health) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(city.admin)) as c:
        created = await c.post(
            "/api/v1/services",
            json={
                "agency": "dishub",
                "code": "e-parkir-web",
                "name": "E-Parkir web",
                "probe_kind": "http",
                "probe_target": health.url,
                "probe_keyword": "ok",
                "probe_interval_s": 1,
                "probe_timeout_s": 2,
                "probe_retries": 0,
            },
        )
        assert created.status_code == 201, created.text
        up = await _wait_status(c, "e-parkir-web", "up")
        assert up["source"] == "probe" and up["latency_ms"] is not None
        assert up["probe"]["kind"] == "http"

        health.status = 503
        down = await _wait_status(c, "e-parkir-web", "down")
        assert "503" in down["message"] and down["status"] == "down"

        health.status, health.body = 200, b"maintenance page"
        wrong = await _wait_status(c, "e-parkir-web", "down")
        assert (
            "keyword" in (await c.get("/api/v1/services/e-parkir-web")).json()["message"] or wrong
        )

        health.body = b"all ok"
        await _wait_status(c, "e-parkir-web", "up")
        history = (await c.get("/api/v1/services/e-parkir-web/history")).json()
    assert {"up", "down"} <= {e["status"] for e in history}
    assert all(e["source"] == "probe" for e in history)


async def test_tcp_probe_and_probe_change_by_api(server, city) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=bearer(city.admin)) as c:
            changed = await c.patch(
                "/api/v1/services/ews",
                json={
                    "probe_kind": "tcp",
                    "probe_target": f"127.0.0.1:{port}",
                    "probe_interval_s": 1,
                    "probe_retries": 0,
                },
            )
            assert changed.status_code == 200, changed.text
            await _wait_status(c, "ews", "up")
            listener.close()
            down = await _wait_status(c, "ews", "down")
            assert "connection" in down["message"].lower()
    finally:
        listener.close()


async def _seed_probed_service(engine: Any, url: str) -> None:
    """Agency `dinkes` with service `sirs`, probed over HTTP every second at `url`."""
    from jcoc.db.engine import session_factory
    from jcoc.opd import service as opd

    async with session_factory(engine)() as s:
        agency = await opd.create_agency(db_session=s, code="dinkes", name="Dinkes")
        await opd.create_service(
            db_session=s,
            agency=agency,
            code="sirs",
            name="SIRS",
            probe_kind="http",
            probe_target=url,
            probe_interval_s=1,
            probe_retries=0,
        )
        await s.commit()


async def test_probes_as_their_own_process(sqlite_settings, health) -> None:
    """`jcoc ingest probes`: the same probes, with a writer of their own."""
    from sqlalchemy import select

    from ingest.probes.process import run_probes_process
    from jcoc.db.engine import create_engine, session_factory
    from jcoc.status.models import StatusEvent

    engine = create_engine(sqlite_settings)
    await _seed_probed_service(engine, health.url)
    stop = asyncio.Event()
    task = asyncio.create_task(run_probes_process(sqlite_settings, stop))
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while True:
            async with session_factory(engine)() as s:
                found = (await s.scalars(select(StatusEvent))).all()
            if found or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task
        await engine.dispose()
    assert found and found[0].status == "up" and found[0].source == "probe"


@pytest.mark.timescale
async def test_probes_process_waits_while_another_process_probes(ts_settings, health) -> None:
    """`jcoc ingest probes` and the API processes elect one prober: no double probing."""
    from sqlalchemy import func, select

    from ingest.probes.process import run_probes_process
    from jcoc.db.engine import create_engine, session_factory
    from jcoc.db.leader import LOCK_KEYS, PROBES, Leader
    from jcoc.status.models import StatusEvent

    engine = create_engine(ts_settings)
    await _seed_probed_service(engine, health.url)

    async def count() -> int:
        async with session_factory(engine)() as s:
            return int(await s.scalar(select(func.count()).select_from(StatusEvent)) or 0)

    rival = Leader(engine=engine, key=LOCK_KEYS[PROBES], retry_s=0.2)
    assert await rival.try_acquire()  # another process is the prober
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_probes_process(ts_settings.model_copy(update={"leader_retry_seconds": 0.2}), stop)
    )
    try:
        # Several probe intervals pass while the rival leads: this process must not probe.
        await asyncio.sleep(3)
        assert await count() == 0
        await rival.release()  # the rival goes away: this process takes over
        deadline = asyncio.get_running_loop().time() + 20
        while await count() == 0 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        assert await count() > 0
    finally:
        stop.set()
        await task
        await rival.release()
        await engine.dispose()
