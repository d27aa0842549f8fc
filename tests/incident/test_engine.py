"""Automatic incidents (services, cameras) and SLA clocks, driven by an injected clock."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from jcoc.db.base import utcnow
from jcoc.opd.models import Service
from jcoc.status.models import StatusEvent
from tests.incident.conftest import Clock, login, on_server_loop


async def _incidents(c: httpx.AsyncClient, headers: dict, **params: object) -> list[dict]:
    r = await c.get("/api/v1/incidents", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _poll(check, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.05)


async def test_service_down_through_the_push_api_opens_and_auto_resolves(server, keys) -> None:
    agency = {"Authorization": f"Bearer {keys['dishub_key']}"}
    async with httpx.AsyncClient(base_url=server.url) as c:
        sup = await login(c, "budi")

        async def push(status: str, event_id: str) -> None:
            event = {"service": "atcs", "status": status, "time": utcnow().isoformat(),
                     "message": "controller unreachable", "id": event_id}  # fmt: skip
            r = await c.post("/api/v1/status", json={"events": [event]}, headers=agency)
            assert r.status_code in (200, 202), r.text

        await push("down", "e1")

        async def opened() -> list[dict]:
            return await _incidents(c, sup, category="service_outage")

        found = await _poll(opened)
        assert len(found) == 1, "an automatic incident opens for a service that is down"
        inc = found[0]
        assert inc["source"] == "automatic" and inc["agency"] == "dishub"
        assert inc["links"]["services"] == [{"code": "atcs", "name": "ATCS"}]
        assert inc["severity"] == 2 and inc["status"] == "open"

        await push("down", "e2")  # the fault persists: no duplicate
        await on_server_loop(server, server.app.state.incident_engine.tick())
        assert len(await opened()) == 1

        await push("up", "e3")

        async def resolved() -> bool:
            return (await opened())[0]["status"] == "resolved"

        assert await _poll(resolved)
        detail = (await c.get(f"/api/v1/incidents/{inc['id']}", headers=sup)).json()
        last = detail["timeline"][-1]
        assert last["kind"] == "resolved" and last["actor"] == "system"
        assert "resolved automatically" in last["comment"] and last["data"]["automatic"]


async def test_silent_service_goes_stale_on_tick_and_recovers_by_bus(server, keys) -> None:
    state = server.app.state
    engine = state.incident_engine
    now = utcnow()

    async def report(status: str, at: datetime, event_id: str) -> None:
        # What ingest does: commit the row, then publish the documented message.
        async with state.sessions() as s:
            svc = await s.scalar(select(Service).where(Service.code == "atcs"))
            s.add(StatusEvent(time=at, service_id=svc.id, event_id=event_id, status=status,
                              message="", source="push", received_at=at))  # fmt: skip
            await s.commit()
        await state.bus.publish("status", {"service": "atcs", "agency": "dishub",
                                           "status": status, "time": at.isoformat(),
                                           "received_at": at.isoformat(), "message": "",
                                           "latency_ms": None, "source": "push",
                                           "event_id": event_id})  # fmt: skip

    async with httpx.AsyncClient(base_url=server.url) as c:
        sup = await login(c, "budi")
        await on_server_loop(server, report("up", now - timedelta(minutes=4), "s1"))
        await on_server_loop(server, engine.tick(now))
        assert await _incidents(c, sup) == [], "reporting within its interval is healthy"
        for minutes in (2, 3, 10):  # silent past expected_interval_s (300 s) + grace (0)
            await on_server_loop(server, engine.tick(now + timedelta(minutes=minutes)))
        found = await _incidents(c, sup)
        assert len(found) == 1 and found[0]["severity"] == 3
        assert "stale" in found[0]["title"]
        await on_server_loop(server, report("up", now + timedelta(minutes=11), "s2"))

        async def resolved() -> bool:
            return (await _incidents(c, sup))[0]["status"] == "resolved"

        assert await _poll(resolved)


async def test_camera_fault_past_grace_opens_and_resolves(server, keys) -> None:
    engine = server.app.state.incident_engine
    t0 = datetime.now(UTC)

    def camera(health: str, at: datetime) -> dict:
        return {"camera": "cctv-simpang-kawat", "health": health, "online": health != "offline",
                "time": at.isoformat(), "changed": True}  # fmt: skip

    async with httpx.AsyncClient(base_url=server.url) as c:
        sup = await login(c, "budi")
        server.app.state.clock = Clock(t0)
        await on_server_loop(server, engine.handle("camera", camera("covered", t0)))
        await on_server_loop(server, engine.tick(t0 + timedelta(seconds=30)))
        assert await _incidents(c, sup) == [], "within the grace period nothing opens"
        await on_server_loop(server, engine.tick(t0 + timedelta(seconds=61)))
        await on_server_loop(server, engine.tick(t0 + timedelta(seconds=90)))
        found = await _incidents(c, sup)
        assert len(found) == 1
        assert found[0]["category"] == "camera_fault" and found[0]["kecamatan"] == "Jelutung"
        assert found[0]["links"]["cameras"][0]["code"] == "cctv-simpang-kawat"
        await on_server_loop(server, engine.handle("camera", camera("ok", t0)))
        assert (await _incidents(c, sup))[0]["status"] == "resolved"


async def test_sla_reminders_escalation_and_daily_report(server, keys) -> None:
    engine = server.app.state.incident_engine
    clock = Clock(datetime(2026, 11, 22, 1, 0, tzinfo=UTC))  # 08:00 WIB
    server.app.state.clock = clock
    t0 = clock.now

    async def tick(minutes: float) -> None:
        clock.now = t0 + timedelta(minutes=minutes)
        await on_server_loop(server, engine.tick(clock.now))

    async with httpx.AsyncClient(base_url=server.url) as c:
        op, sup = await login(c, "sari"), await login(c, "budi")
        fire = {"title": "Kebakaran lahan", "category": "fire", "severity": 3, "agency": "bpbd"}
        created = await c.post("/api/v1/incidents", headers=op, json=fire)
        iid = created.json()["id"]

        async def detail() -> dict:
            return (await c.get(f"/api/v1/incidents/{iid}", headers=sup)).json()

        def kinds(d: dict) -> list[str]:
            return [e["kind"] for e in d["timeline"]]

        await tick(10)
        assert kinds(await detail()) == ["created"]
        await tick(31)  # severity 3: remind every 30 min until acknowledged
        assert kinds(await detail()) == ["created", "reminder"]
        await tick(40)
        assert kinds(await detail()) == ["created", "reminder"]
        await tick(50)  # 10 of 60 minutes left: due soon
        assert (await detail())["sla"]["ack"] == "due_soon"
        await tick(61)  # ack SLA (60 min) breached: escalate one step, remind again
        d = await detail()
        assert kinds(d) == ["created", "reminder", "escalated", "reminder"]
        assert d["severity"] == 2 and d["sla"]["ack"] == "breached"
        assert d["timeline"][2]["data"] == {
            "reason": "ack_breached", "from_severity": 3, "to_severity": 2}  # fmt: skip
        await tick(62)
        assert kinds(await detail()) == kinds(d), "one escalation per breach"

        ack = await c.post(f"/api/v1/incidents/{iid}/acknowledge", json={}, headers=op)
        assert ack.json()["sla"]["ack"] == "breached"  # acknowledged late stays breached
        await tick(200)
        assert kinds(await detail())[-1] == "acknowledged", "no reminders once acknowledged"
        await tick(24 * 60 + 1)  # resolve SLA (24 h for severity 3) breached
        d = await detail()
        assert d["timeline"][-1]["kind"] == "escalated" and d["severity"] == 1

        sla = await c.put("/api/v1/sla/3", json={"ack_minutes": 30, "resolve_minutes": 600,
                                                  "reminder_minutes": 15}, headers=op)  # fmt: skip
        assert sla.status_code == 403
        sla = await c.put("/api/v1/sla/3", json={"ack_minutes": 30, "resolve_minutes": 600,
                                                  "reminder_minutes": 15}, headers=sup)  # fmt: skip
        assert sla.status_code == 200 and sla.json()["ack_minutes"] == 30
        bad = await c.put("/api/v1/sla/3", json={"ack_minutes": 30, "resolve_minutes": 10},
                          headers=sup)  # fmt: skip
        assert bad.status_code == 422

        report = (
            await c.get("/api/v1/reports/daily", params={"date": "2026-11-22"}, headers=op)
        ).json()
        assert report["opened"] == 1 and report["acknowledged"] == 1
        assert report["mtta_s"] == 62 * 60 and report["within_sla_pct"] == 0.0
        assert report["per_agency"][0]["agency"] == "bpbd"
        other_day = (
            await c.get("/api/v1/reports/daily", params={"date": "2026-11-21"}, headers=op)
        ).json()
        assert other_day["opened"] == 0 and other_day["mtta_s"] is None
