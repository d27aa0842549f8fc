"""The hub under faults: losing the bus or the database shows as stale, and recovers alone.

Each test takes away a private instance of its own (Redis or TimescaleDB), so stopping it
harms no other test.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest

from jcoc.app import create_app
from jcoc.config import Settings
from jcoc.db import migrate
from jcoc.db.base import utcnow
from tests import services
from tests.conftest import make_settings
from tests.hub.conftest import connect, hub_settings, recv_until, seed, subscribe
from tests.live import LiveServer

pytestmark = [pytest.mark.timescale, pytest.mark.redis]

DEADLINE_S = 20.0


@pytest.fixture
def private_redis() -> Iterator[services.RedisServer]:
    with services.redis() as server:
        yield server


def _status(frame: dict[str, Any], **expected: bool) -> bool:
    return frame["type"] == "status" and all(frame[k] == v for k, v in expected.items())


def _atcs(pred: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
    def match(frame: dict[str, Any]) -> bool:
        if frame["type"] == "update" and frame["topic"] == "services" and frame["key"] == "atcs":
            return bool(pred(frame["data"]))
        if frame["type"] == "snapshot" and frame["topic"] == "services":
            return bool(pred(frame["data"]["atcs"]))
        return False

    return match


async def _summary_when(
    http: httpx.AsyncClient, pred: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        summary: dict[str, Any] = (await http.get("/api/v1/summary")).json()
        if pred(summary):
            return summary
        assert time.monotonic() < deadline, f"summary never matched: {summary}"
        await asyncio.sleep(0.1)


async def _push(http: httpx.AsyncClient, api_key: str, message: str) -> None:
    event = {"service": "atcs", "status": "degraded", "time": utcnow().isoformat()}
    event.update(message=message, id=message)
    answer = await http.post(
        "/api/v1/status", json={"events": [event]}, headers={"Authorization": f"Bearer {api_key}"}
    )
    assert 200 <= answer.status_code < 300, answer.text


async def test_bus_loss_marks_everything_stale_and_recovery_catches_up(
    ts_settings: Settings, private_redis: services.RedisServer
) -> None:
    settings = hub_settings(ts_settings, private_redis.url)
    kiosk, api_key = await seed(settings)
    bearer = {"Authorization": f"Bearer {kiosk}"}
    with LiveServer(lambda: create_app(settings)) as server:
        async with (
            await connect(server.ws_url, kiosk) as ws,
            httpx.AsyncClient(base_url=server.url, headers=bearer) as http,
        ):
            await recv_until(ws, lambda f: _status(f, bus_connected=True, db_connected=True))
            await subscribe(ws, ["services", "summary"])
            await _push(http, api_key, "sebelum")
            await recv_until(ws, _atcs(lambda a: a["message"] == "sebelum" and not a["stale"]))

            await asyncio.to_thread(services.stop_redis, private_redis)
            frames = await recv_until(ws, lambda f: _status(f, bus_connected=False))
            since = frames[-1]["since"]
            assert since is not None and frames[-1]["db_connected"] is True
            # Every item turns stale at once, since the loss (the source itself is fine).
            frames = await recv_until(ws, _atcs(lambda a: a["stale"]))
            atcs = frames[-1]["data"]
            assert atcs["stale_since"] == since and atcs["reported_status"] == "degraded"
            summary = await _summary_when(http, lambda s: not s["bus_connected"])
            assert summary["since"] == since
            items = [i for topic in summary["topics"].values() for i in topic.values()]
            assert items and all(i["stale"] and i["stale_since"] <= since for i in items)
            # A client connecting during the loss is told at once.
            async with await connect(server.ws_url, kiosk) as late:
                await recv_until(late, lambda f: _status(f, bus_connected=False, since=since))

            # Committed while the bus is down: 2xx, though no one hears of it yet.
            await _push(http, api_key, "saat-bus-putus")

            await asyncio.to_thread(services.start_redis, private_redis)
            frames = await recv_until(
                ws, lambda f: _status(f, bus_connected=True, db_connected=True)
            )
            assert frames[-1]["since"] is None
            # The hub reloaded from the database: the fact pushed during the loss is there.
            await recv_until(
                ws, _atcs(lambda a: a["message"] == "saat-bus-putus" and not a["stale"])
            )
            # And it follows the bus again: a push after recovery reaches the websocket.
            await _push(http, api_key, "setelah")
            await recv_until(ws, _atcs(lambda a: a["message"] == "setelah" and not a["stale"]))
            summary = await _summary_when(http, lambda s: s["bus_connected"])
            assert summary["since"] is None
            city = summary["topics"]["summary"]["city"]
            assert city["stale"] is False
            assert city["time"] == summary["topics"]["services"]["atcs"]["time"]


@pytest.fixture
def private_pg(tmp_path, redis_server) -> Iterator[tuple[services.PgServer, Settings]]:
    with services.postgres(timescale=True) as server:
        with psycopg.connect(server.psql_dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE jcoc")
        base = make_settings(database_url=server.url("jcoc"), timescale="on", data_dir=tmp_path)
        migrate.upgrade(base)
        yield server, hub_settings(base, redis_server.url)


def _stop_fast(server: services.PgServer) -> None:
    """Fast shutdown (SIGINT): connections are cut, as when the server goes away."""
    server.proc.send_signal(signal.SIGINT)  # type: ignore[attr-defined]
    server.proc.wait(30)  # type: ignore[attr-defined]


def _reloads(metrics: str) -> float:
    line = next(x for x in metrics.splitlines() if x.startswith("jcoc_hub_reloads_total "))
    return float(line.split()[1])


async def test_database_loss_is_reported_and_the_state_reloads(
    private_pg: tuple[services.PgServer, Settings],
) -> None:
    pg, settings = private_pg
    kiosk, api_key = await seed(settings)
    bearer = {"Authorization": f"Bearer {kiosk}"}
    with LiveServer(lambda: create_app(settings)) as server:
        async with (
            await connect(server.ws_url, kiosk) as ws,
            httpx.AsyncClient(base_url=server.url, headers=bearer) as http,
        ):
            await recv_until(ws, lambda f: _status(f, bus_connected=True, db_connected=True))
            await subscribe(ws, ["services"])
            await _push(http, api_key, "sebelum")
            await recv_until(ws, _atcs(lambda a: a["message"] == "sebelum" and not a["stale"]))
            reloads = _reloads((await http.get("/metrics")).text)

            await asyncio.to_thread(_stop_fast, pg)
            frames = await recv_until(ws, lambda f: _status(f, db_connected=False))
            since = frames[-1]["since"]
            await recv_until(ws, _atcs(lambda a: a["stale"] and a["stale_since"] == since))
            # (REST checks the kiosk token in the database, so the websocket is the witness.)

            await asyncio.to_thread(services.start_postgres, pg)
            frames = await recv_until(
                ws, lambda f: _status(f, bus_connected=True, db_connected=True)
            )
            assert frames[-1]["since"] is None
            await recv_until(ws, _atcs(lambda a: a["message"] == "sebelum" and not a["stale"]))
            summary = await _summary_when(http, lambda s: s["db_connected"])
            assert summary["since"] is None
            assert not summary["topics"]["services"]["atcs"]["stale"]
            assert _reloads((await http.get("/metrics")).text) > reloads
