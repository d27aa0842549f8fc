"""The /ws websocket over real HTTP against TimescaleDB, fed through a real Redis bus."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from datetime import timedelta

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from jcoc.app import create_app
from jcoc.db.base import utcnow
from tests.hub.conftest import (
    City,
    Facts,
    connect,
    hub_settings,
    recv,
    recv_until,
    seed,
    subscribe,
)
from tests.live import LiveServer

pytestmark = [pytest.mark.timescale, pytest.mark.redis]


async def _hello(ws) -> dict:
    hello = await recv(ws)
    assert hello["type"] == "hello"
    status = await recv(ws)
    assert status["type"] == "status"
    return hello


async def test_snapshot_then_updates_in_order(server, city: City, facts: Facts) -> None:
    async with await connect(server.ws_url, city.kiosk) as ws:
        hello = await _hello(ws)
        assert "services" in hello["topics"]
        await subscribe(ws, ["services", "summary"])
        snaps = await recv_until(ws, lambda f: f["type"] == "snapshot" and f["topic"] == "summary")
        services = next(f for f in snaps if f["topic"] == "services")
        assert services["data"]["atcs"]["status"] == "unknown"
        assert services["data"]["atcs"]["agency"] == "dishub"
        base = time0 = utcnow()
        for i, status in enumerate(["down", "degraded", "up"]):
            await facts.status("atcs", status, time=base + timedelta(seconds=i), message=f"m{i}")
        frames = await recv_until(
            ws,
            lambda f: f.get("topic") == "services" and (f.get("data") or {}).get("message") == "m2",
        )
        updates = [f for f in frames if f["type"] == "update"]
        seqs = [f["seq"] for f in updates]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert seqs[0] > services["seq"]
        atcs = updates[-1]["data"]
        assert atcs["status"] == "up" and atcs["stale"] is False
        assert atcs["time"] == (time0 + timedelta(seconds=2)).isoformat()
        # One of three 5-minute buckets was down at most: availability is reported.
        assert 0 <= atcs["availability_24h"] <= 1
    headers = {"Authorization": f"Bearer {city.kiosk}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
        summary = (await http.get("/api/v1/summary")).json()
        assert summary["topics"]["services"]["atcs"]["status"] == "up"
        assert summary["topics"]["summary"]["city"]["services"]["up"] == 1
        assert summary["topics"]["agencies"]["dishub"]["counts"]["up"] == 1
        live = await http.get("/api/v1/live/services")
        assert live.status_code == 200 and live.json()["data"]["atcs"]["status"] == "up"
        missing = await http.get("/api/v1/live/weather")
        assert missing.status_code == 404 and "weather" in missing.json()["detail"]
        assert (
            await httpx.AsyncClient(base_url=server.url).get("/api/v1/summary")
        ).status_code == 401


async def test_reconnect_resumes_from_last_seq(server, city: City, facts: Facts) -> None:
    async with await connect(server.ws_url, city.kiosk) as ws:
        hello = await _hello(ws)
        await subscribe(ws, ["services"])
        snap = await recv(ws)
        assert snap["type"] == "snapshot"
        last = snap["seq"]
    await facts.status("atcs", "down", message="while away 1")
    await facts.status("atcs", "up", message="while away 2")
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {city.kiosk}"}
    ) as http:
        for _ in range(200):  # wait until the hub has applied both facts
            got = (await http.get("/api/v1/live/services")).json()["data"]["atcs"]
            if got["message"] == "while away 2":
                break
            await __import__("asyncio").sleep(0.05)
    async with await connect(server.ws_url, city.kiosk) as ws:
        await _hello(ws)
        await subscribe(ws, ["services"], since={"epoch": hello["epoch"], "seq": last})
        frames = await recv_until(ws, lambda f: f["type"] == "resumed")
        assert all(f["type"] != "snapshot" for f in frames)
        messages = [f["data"]["message"] for f in frames if f["type"] == "update"]
        assert messages[-1] == "while away 2"
        assert all(f["seq"] > last for f in frames if f["type"] == "update")
    async with await connect(server.ws_url, city.kiosk) as ws:  # unknown epoch: fresh snapshot
        await _hello(ws)
        await subscribe(ws, ["services"], since={"epoch": "another-process", "seq": last})
        snap = await recv(ws)
        assert snap["type"] == "snapshot" and snap["data"]["atcs"]["message"] == "while away 2"


async def _read_all(ws, into: list) -> None:
    async for raw in ws:
        into.append(json.loads(raw))


def _metrics(text: str) -> dict[str, float]:
    return {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


async def _closed_with(ws) -> int:
    with pytest.raises(ConnectionClosed) as info:
        await recv(ws)
    assert info.value.rcvd is not None
    return info.value.rcvd.code


async def test_unauthenticated_and_foreign_origins_are_refused(server, city: City) -> None:
    for token in (None, "jcoc_kt_not-a-real-token", city.api_key):
        async with await connect(server.ws_url, token) as ws:
            assert await _closed_with(ws) == 4401
    evil = {"Origin": "https://evil.example"}
    async with await connect(server.ws_url, city.kiosk, additional_headers=evil) as ws:
        assert await _closed_with(ws) == 4403
    own = {"Origin": server.url}
    async with await connect(server.ws_url, city.kiosk, additional_headers=own) as ws:
        await _hello(ws)
    # The session cookie and the Bearer header work as well as ?token=.
    bearer = {"Authorization": f"Bearer {city.kiosk}"}
    async with await connect(server.ws_url, None, additional_headers=bearer) as ws:
        await _hello(ws)
    cookie = {"Cookie": f"jcoc_session={city.kiosk}"}
    async with await connect(server.ws_url, None, additional_headers=cookie) as ws:
        await _hello(ws)


async def test_service_goes_stale_without_new_messages(server, city: City, facts: Facts) -> None:
    await facts.status("ews", "up", message="ok")  # expected every 1 s
    async with await connect(server.ws_url, city.kiosk) as ws:
        await _hello(ws)
        await subscribe(ws, ["services"])
        frames = await recv_until(
            ws,
            lambda f: (
                (f.get("type") == "snapshot" and f["data"]["ews"]["status"] == "stale")
                or (f.get("key") == "ews" and f["data"]["status"] == "stale")
            ),
        )
        last = frames[-1]
        item = last["data"] if last["type"] == "update" else last["data"]["ews"]
        assert item["stale"] is True and item["reported_status"] == "up"
        assert item["stale_since"] > item["time"]


async def test_slow_client_does_not_delay_a_fast_one(ts_settings, redis_server) -> None:
    # A client is behind once frames wait in its queue: the socket (deflate shrinks these
    # frames tenfold) would take many megabytes first, so the bursts of 40 updates that
    # reach the hub together must overflow the queue: keep it well below such a burst.
    settings = hub_settings(ts_settings, redis_server.url, hub_client_queue=10)
    kiosk, _ = await seed(settings, extra_services=40)
    facts = Facts(settings)
    await facts.bus.start()
    codes = [f"svc{i}" for i in range(40)]
    try:
        with LiveServer(lambda: create_app(settings)) as server:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port))
            slow = await websockets.connect(
                f"{server.ws_url}/ws?token={kiosk}", sock=sock, max_queue=1, close_timeout=0.5
            )
            await slow.send(json.dumps({"op": "subscribe", "topics": ["services"]}))
            bearer = {"Authorization": f"Bearer {kiosk}"}
            async with (
                await connect(server.ws_url, kiosk) as fast,
                httpx.AsyncClient(base_url=server.url, headers=bearer) as http,
            ):
                await _hello(fast)
                await subscribe(fast, ["services"])
                await recv(fast)
                seen: list[dict] = []
                reader = asyncio.create_task(_read_all(fast, seen))
                long = "x" * 900
                deadline = time.monotonic() + 60
                metrics: dict[str, float] = {}
                while (
                    metrics.get("jcoc_hub_coalesced_total", 0)
                    + metrics.get("jcoc_hub_dropped_total", 0)
                    == 0
                ):
                    assert time.monotonic() < deadline, "the slow client never fell behind"
                    now = utcnow()
                    await facts.statuses([(c, "up", now, long + now.isoformat()) for c in codes])
                    metrics = _metrics((await http.get("/metrics")).text)
                await facts.status("atcs", "down", message="the last one")
                while not any((f.get("data") or {}).get("message") == "the last one" for f in seen):
                    assert time.monotonic() < deadline, "the fast client missed the last update"
                    await asyncio.sleep(0.05)
                reader.cancel()
                seqs = [f["seq"] for f in seen if f["type"] == "update"]
                assert seqs == sorted(seqs)
                assert (
                    await httpx.AsyncClient(base_url=server.url).get("/metrics")
                ).status_code == 401
                metrics = _metrics((await http.get("/metrics")).text)
            # The slow client is still connected, its queue bounded, its backlog coalesced.
            assert metrics["jcoc_hub_connections"] == 2
            assert metrics["jcoc_hub_client_queue_high_water"] <= 10 + 1
            assert metrics["jcoc_hub_coalesced_total"] + metrics["jcoc_hub_dropped_total"] > 0
            await slow.close()
    finally:
        await facts.bus.stop()
        await facts.engine.dispose()


async def test_silent_connection_is_closed(ts_settings, redis_server) -> None:
    settings = hub_settings(ts_settings, redis_server.url, hub_heartbeat_s=0.2)
    kiosk, _ = await seed(settings)
    with LiveServer(lambda: create_app(settings)) as server:
        async with await connect(server.ws_url, kiosk) as ws:
            frames = await recv_until(ws, lambda f: f["type"] == "ping")
            assert frames[0]["heartbeat_s"] == 0.2
            with pytest.raises(ConnectionClosed) as info:
                while True:
                    await recv(ws)
            assert info.value.rcvd is not None and info.value.rcvd.code == 4408
        assert len(server.app.state.hub.clients) == 0
