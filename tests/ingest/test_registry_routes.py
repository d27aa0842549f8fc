"""Admin registry routes and the read routes (derived status, history, KPI buckets)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from jcoc.app import create_app
from jcoc.db.base import utcnow
from tests.ingest.conftest import City, bearer
from tests.live import LiveServer


@pytest.fixture
def server(city: City):
    with LiveServer(lambda: create_app(city.settings)) as srv:
        yield srv


async def test_admin_creates_agency_service_kpi_and_key_then_pushes(server, city) -> None:
    app = server.app
    async with (
        app.state.bus.subscribe("entity") as sub,
        httpx.AsyncClient(base_url=server.url, headers=bearer(city.admin)) as c,
    ):
        agency = await c.post("/api/v1/agencies", json={"code": "pdam", "name": "PDAM Tirta"})
        again = await c.post("/api/v1/agencies", json={"code": "pdam", "name": "PDAM Tirta"})
        svc = await c.post(
            "/api/v1/services",
            json={"agency": "pdam", "code": "air-bersih", "name": "Air bersih"},
        )
        kpi = await c.post(
            "/api/v1/kpis",
            json={
                "agency": "pdam",
                "code": "pressure",
                "name": "Tekanan",
                "unit": "bar",
                "warn_at": 1.0,
                "crit_at": 0.5,
                "higher_is_worse": False,
            },
        )
        key = await c.post("/api/v1/agencies/pdam/apikeys", json={"name": "scada"})
        agencies = await c.get("/api/v1/agencies")
        not_admin = await c.post(
            "/api/v1/agencies", json={"code": "x", "name": "X"}, headers=bearer(city.kiosk)
        )
        entity = [sub.queue.get_nowait().message for _ in range(sub.queue.qsize())]
    assert agency.status_code == 201 and again.status_code == 409
    assert svc.status_code == 201 and kpi.status_code == 201
    assert key.status_code == 201 and key.json()["key"].startswith("jcoc_ak_")
    assert "pdam" in [a["code"] for a in agencies.json()]
    assert not_admin.status_code == 401
    assert {"kind": "service", "code": "air-bersih", "action": "created"} in entity
    assert {"kind": "agency", "code": "pdam", "action": "created"} in entity

    now = utcnow()
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(key.json()["key"])) as c:
        pushed = await c.post(
            "/api/v1/status",
            json={"events": [{"service": "air-bersih", "status": "down", "time": now.isoformat()}]},
        )
        samples = await c.post(
            "/api/v1/metrics",
            json={
                "samples": [
                    {
                        "kpi": "pressure",
                        "value": v,
                        "time": (now - timedelta(minutes=m)).isoformat(),
                    }
                    for m, v in ((1, 0.4), (2, 1.6), (16, 2.0))
                ]
            },
        )
    assert pushed.status_code == 202 and samples.json()["accepted"] == 3

    async with httpx.AsyncClient(base_url=server.url, headers=bearer(city.kiosk)) as c:
        one = (await c.get("/api/v1/services/air-bersih")).json()
        kpis = {k["code"]: k for k in (await c.get("/api/v1/kpis")).json()}
        raw = (await c.get("/api/v1/kpis/pressure/samples")).json()
        hourly = (await c.get("/api/v1/kpis/pressure/samples", params={"bucket": "1h"})).json()
        bad_bucket = await c.get("/api/v1/kpis/pressure/samples", params={"bucket": "soon"})
    assert one["status"] == "down" and one["agency"] == "pdam"
    assert kpis["pressure"]["value"] == 0.4 and kpis["pressure"]["level"] == "crit"
    assert [s["value"] for s in raw] == [2.0, 1.6, 0.4]
    assert sum(b["count"] for b in hourly) == 3
    assert min(b["min"] for b in hourly) == 0.4 and max(b["max"] for b in hourly) == 2.0
    assert bad_bucket.status_code == 422 and "bucket" in bad_bucket.json()["detail"]


async def test_silence_shows_stale_and_no_report_unknown(server, city) -> None:
    old = utcnow() - timedelta(minutes=2)  # parkir expects a report every 60 s
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(city.dishub_key)) as c:
        r = await c.post(
            "/api/v1/status",
            json={
                "events": [
                    {"service": "parkir", "status": "up", "time": old.isoformat()},
                    {"service": "atcs", "status": "up", "time": old.isoformat()},
                ]
            },
        )
    assert r.status_code == 202
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(city.kiosk)) as c:
        services = {s["code"]: s for s in (await c.get("/api/v1/services")).json()}
        history = await c.get(
            "/api/v1/services/parkir/history",
            params={"from": (old - timedelta(seconds=1)).isoformat()},
        )
        missing = await c.get("/api/v1/services/nope")
        no_auth = await httpx.AsyncClient(base_url=server.url).get("/api/v1/services")
    assert services["parkir"]["status"] == "stale"
    assert services["parkir"]["reported_status"] == "up"
    assert services["atcs"]["status"] == "up"  # expects a report every 300 s
    assert services["ews"]["status"] == "unknown"
    assert [e["status"] for e in history.json()] == ["up"]
    assert missing.status_code == 404 and no_auth.status_code == 401
