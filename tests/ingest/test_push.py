"""The push API over real HTTP, on SQLite and TimescaleDB: what an agency's programmer sees."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from jcoc.app import create_app
from jcoc.db.base import utcnow
from jcoc.db.engine import create_engine
from jcoc.kpi.models import KpiSample
from jcoc.status.models import StatusEvent
from tests.conftest import make_settings
from tests.ingest.conftest import City, bearer, event
from tests.live import LiveServer


@pytest.fixture
def server(city: City):
    with LiveServer(lambda: create_app(city.settings)) as srv:
        yield srv


async def count(settings, model) -> int:
    engine = create_engine(settings)
    async with engine.connect() as conn:
        n = await conn.scalar(select(func.count()).select_from(model))
    await engine.dispose()
    return int(n or 0)


async def test_push_is_stored_and_a_retry_is_a_duplicate(server, city) -> None:
    body = {
        "events": [
            event(id="e-1", message="normal"),
            event("parkir", "degraded", id="e-2", latency_ms=812.5),
        ]
    }
    app = server.app
    async with (
        app.state.bus.subscribe("status") as sub,
        httpx.AsyncClient(base_url=server.url, headers=bearer(city.dishub_key)) as c,
    ):
        first = await c.post("/api/v1/status", json=body)
        retry = await c.post("/api/v1/status", json=body)
        published = [sub.queue.get_nowait().message for _ in range(sub.queue.qsize())]
    assert first.status_code == 202, first.text
    assert first.json() == {
        "accepted": 2,
        "duplicates": 0,
        "ids": ["e-1", "e-2"],
        "duplicate_ids": [],
    }
    assert retry.status_code == 202
    assert retry.json()["accepted"] == 0 and retry.json()["duplicates"] == 2
    assert await count(city.settings, StatusEvent) == 2
    # Committed facts are published once, in the documented shape.
    assert [m["service"] for m in published] == ["atcs", "parkir"]
    assert published[1]["agency"] == "dishub" and published[1]["latency_ms"] == 812.5
    assert published[0]["source"] == "push" and published[0]["event_id"] == "e-1"


async def test_events_without_id_get_a_deterministic_one(server, city) -> None:
    body = {"events": [event(), event("parkir", "down")]}
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(city.dishub_key)) as c:
        first = (await c.post("/api/v1/status", json=body)).json()
        retry = (await c.post("/api/v1/status", json=body)).json()
    assert first["accepted"] == 2
    assert retry["duplicates"] == 2 and retry["ids"] == first["ids"]
    assert all(i.startswith("auto-") for i in first["ids"])
    assert await count(city.settings, StatusEvent) == 2


async def test_metrics_push_and_duplicates(server, city) -> None:
    t = utcnow().isoformat()
    body = {"samples": [{"kpi": "water_level", "value": 7.42, "time": t}]}
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(city.bpbd_key)) as c:
        first = await c.post("/api/v1/metrics", json=body)
        retry = await c.post("/api/v1/metrics", json=body)
        kpis = await c.get("/api/v1/kpis", headers=bearer(city.kiosk))
    assert first.status_code == 202 and first.json()["accepted"] == 1
    assert retry.json()["duplicates"] == 1
    assert await count(city.settings, KpiSample) == 1
    level = {k["code"]: (k["value"], k["level"]) for k in kpis.json()}
    assert level["water_level"] == (7.42, "warn")
    assert level["traffic_volume"] == (None, "unknown")


async def test_another_agencys_service_is_refused_and_nothing_is_written(server, city) -> None:
    body = {"events": [event("atcs"), event("ews")]}
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(city.dishub_key)) as c:
        r = await c.post("/api/v1/status", json=body)
        kpi = await c.post(
            "/api/v1/metrics",
            json={"samples": [{"kpi": "water_level", "value": 1, "time": utcnow().isoformat()}]},
        )
    assert r.status_code == 403
    assert "events[1].service" in r.json()["detail"] and "bpbd" in r.json()["detail"]
    assert kpi.status_code == 403 and "samples[0].kpi" in kpi.json()["detail"]
    assert await count(city.settings, StatusEvent) == 0


async def test_bad_input_names_what_and_where(server, city) -> None:
    now = utcnow()
    cases = {
        "unknown service": ({"events": [event(), event("nope")]}, 422, "events[1].service"),
        "bad status": ({"events": [event(status="broken")]}, 422, "events[0].status"),
        "missing field": ({"events": [{"service": "atcs", "status": "up"}]}, 422, "time"),
        "unparsable time": ({"events": [event(time="yesterday")]}, 422, "events[0].time"),
        "no time zone": ({"events": [event(time="2026-11-22T10:00:00")]}, 422, "events[0].time"),
        "future": (
            {"events": [event(), event(time=(now + timedelta(hours=1)).isoformat())]},
            422,
            "in the future",
        ),
        "unknown key": ({"events": [event(servis="x")]}, 422, "events[0].servis"),
        "empty": ({"events": []}, 422, "events"),
    }
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(city.dishub_key)) as c:
        for name, (body, status, where) in cases.items():
            r = await c.post("/api/v1/status", json=body)
            assert r.status_code == status, (name, r.text)
            assert where in r.json()["detail"], (name, r.json())
            assert "nothing was stored" in r.json()["detail"], name
        not_json = await c.post("/api/v1/status", content=b"{not json")
        no_key = await httpx.AsyncClient(base_url=server.url).post(
            "/api/v1/status", json={"events": [event()]}
        )
        bad_key = await c.post(
            "/api/v1/status", json={"events": [event()]}, headers=bearer("jcoc_ak_nope")
        )
    assert not_json.status_code == 422 and "JSON" in not_json.json()["detail"]
    assert no_key.status_code == 401 and bad_key.status_code == 401
    assert await count(city.settings, StatusEvent) == 0


@pytest.fixture
def small_server(city: City, tmp_path):
    settings = make_settings(
        database_url=city.settings.database_url,
        timescale=city.settings.timescale,
        data_dir=tmp_path,
        max_body_bytes=2048,
        max_events_per_request=3,
        rate_limit_per_minute=5,
    )
    with LiveServer(lambda: create_app(settings)) as srv:
        yield srv


async def test_limits_413_422_429(small_server, city) -> None:
    async with httpx.AsyncClient(base_url=small_server.url, headers=bearer(city.dishub_key)) as c:
        big = await c.post(
            "/api/v1/status", content=json.dumps({"events": [event(message="x" * 3000)]})
        )
        many = await c.post("/api/v1/status", json={"events": [event(id=str(i)) for i in range(4)]})
        answers = [await c.post("/api/v1/status", json={"events": [event()]}) for _ in range(5)]
    assert big.status_code == 413 and "JCOC_MAX_BODY_BYTES" in big.json()["detail"]
    assert many.status_code == 422 and "at most 3" in many.json()["detail"]
    limited = [r for r in answers if r.status_code == 429]
    assert limited, [r.status_code for r in answers]
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert "rate limit" in limited[0].json()["detail"]
    # Another agency's key has its own bucket.
    async with httpx.AsyncClient(base_url=small_server.url, headers=bearer(city.bpbd_key)) as c:
        other = await c.post("/api/v1/status", json={"events": [event("ews")]})
    assert other.status_code == 202
