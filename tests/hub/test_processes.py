"""The live picture survives a restart and is shared by several API processes (Redis)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from jcoc.app import create_app
from jcoc.camera.models import Camera, CameraMetric
from jcoc.config import Settings
from jcoc.db.base import utcnow
from jcoc.db.engine import session_factory
from jcoc.incident.models import Incident
from jcoc.kpi.models import KpiDefinition, KpiSample
from jcoc.opd import service as opd
from tests.hub.conftest import City, Facts, connect, recv, recv_until, subscribe
from tests.live import LiveServer
from tests.services import free_port

pytestmark = [pytest.mark.timescale, pytest.mark.redis]


async def _more_facts(facts: Facts) -> str:
    """A KPI sample, a camera metric and an open incident: committed, then published."""
    now = utcnow().replace(microsecond=0)
    async with session_factory(facts.engine)() as s:
        bpbd = await opd.get_agency_by_code(db_session=s, code="bpbd")
        assert bpbd is not None
        kpi = KpiDefinition(
            agency_id=bpbd.id, code="tma", name="Tinggi muka air", unit="m", warn_at=7, crit_at=9
        )
        cam = Camera(
            code="cctv-1", name="Simpang Kawat", url="rtsp://u:p@cam/1", kecamatan="Jelutung"
        )
        s.add_all([kpi, cam])
        await s.flush()
        s.add(KpiSample(time=now, kpi_id=kpi.id, sample_id="k1", value=7.4, received_at=now))
        s.add(
            CameraMetric(
                time=now, camera_id=cam.id, health="frozen", online=True, fps=9.5, motion=0.0
            )
        )
        inc = Incident(
            title="Banjir di Telanaipura",
            severity=1,
            agency_id=bpbd.id,
            opened_at=now,
            ack_due_at=now + timedelta(minutes=15),
            resolve_due_at=now + timedelta(hours=4),
            updated_at=now,
        )
        s.add(inc)
        await s.commit()
    await facts.bus.publish("entity", {"kind": "kpi", "code": "tma", "action": "created"})
    await asyncio.sleep(1.2)  # a reload is at most once a second; let the entity one land
    await facts.bus.publish(
        "kpi", {"kpi": "tma", "agency": "bpbd", "value": 7.4, "time": now.isoformat()}
    )
    await facts.bus.publish(
        "camera",
        {
            "camera": "cctv-1",
            "health": "frozen",
            "online": True,
            "time": now.isoformat(),
            "fps": 9.5,
            "motion": 0.0,
            "changed": True,
        },
    )
    incident = {
        "id": inc.id,
        "title": inc.title,
        "category": "other",
        "severity": 1,
        "status": "open",
        "agency": "bpbd",
        "kecamatan": "",
        "lat": None,
        "lon": None,
        "opened_at": now.isoformat(),
        "acknowledged_at": None,
        "sla": {
            "ack_due_at": (now + timedelta(minutes=15)).isoformat(),
            "resolve_due_at": (now + timedelta(hours=4)).isoformat(),
        },
    }
    await facts.bus.publish("incident", {"event": "created", "incident": incident})
    return str(inc.id)


async def _topics_when(http: httpx.AsyncClient, pred) -> dict:
    deadline = time.monotonic() + 15
    while True:
        topics = (await http.get("/api/v1/summary")).json()["topics"]
        if pred(topics):
            return topics
        assert time.monotonic() < deadline, f"state never matched: {topics}"
        await asyncio.sleep(0.1)


async def test_restart_rebuilds_the_same_state(city: City, facts: Facts) -> None:
    bearer = {"Authorization": f"Bearer {city.kiosk}"}
    base = utcnow().replace(microsecond=0)
    with LiveServer(lambda: create_app(city.settings)) as first:
        async with httpx.AsyncClient(base_url=first.url, headers=bearer) as http:
            await _topics_when(http, lambda t: "atcs" in t["services"])
            await facts.status("atcs", "down", time=base - timedelta(minutes=7), message="putus")
            await facts.status("atcs", "up", time=base, message="pulih")
            incident_id = await _more_facts(facts)
            before = await _topics_when(
                http,
                lambda t: (
                    t["services"]["atcs"]["message"] == "pulih"
                    and incident_id in t["incidents"]
                    and t["kpis"].get("tma", {}).get("value") == 7.4
                    and t["cameras"].get("cctv-1", {}).get("health") == "frozen"
                ),
            )
    with LiveServer(lambda: create_app(city.settings)) as second:
        async with httpx.AsyncClient(base_url=second.url, headers=bearer) as http:
            after = (await http.get("/api/v1/summary")).json()["topics"]
    assert after == before
    assert before["services"]["atcs"]["availability_24h"] < 1  # one down bucket in two
    assert before["incidents"][incident_id]["sla"]["state"] == "ok"
    assert before["summary"]["city"]["incidents"]["by_severity"]["1"] == 1
    assert before["kpis"]["tma"]["level"] == "warn"
    assert before["summary"]["city"]["cameras"]["frozen"] == 1
    assert "rtsp" not in str(before)  # camera credentials never leave the server


@contextmanager
def _api_process(settings: Settings, cwd: Path) -> Iterator[str]:
    """`uvicorn --factory jcoc.app:create_app` in its own process, configured by JCOC_* env."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JCOC_")}
    env.update(
        JCOC_ENV="test",
        JCOC_SECRET_KEY=settings.secret_key,
        JCOC_DATABASE_URL=settings.database_url,
        JCOC_TIMESCALE="on",
        JCOC_REDIS_URL=settings.redis_url or "",
        JCOC_DATA_DIR=str(cwd),
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "jcoc.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(cwd / f"api-{port}.log", "w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (cwd / f"api-{port}.log").read_text()[-2000:]
            try:
                ready = httpx.get(f"{url}/readyz", timeout=2)
                if ready.status_code == 200 and ready.json().get("bus") == "ok":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "API process did not become ready"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def test_push_to_one_process_reaches_a_websocket_on_another(
    city: City, tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        _api_process(city.settings, tmp_path / "a") as a,
        _api_process(city.settings, tmp_path / "b") as b,
    ):
        async with await connect(b.replace("http", "ws", 1), city.kiosk) as ws:
            await recv_until(ws, lambda f: f["type"] == "status" and f["bus_connected"])
            await subscribe(ws, ["services"])
            snap = await recv(ws)
            assert snap["type"] == "snapshot"
            event = {
                "service": "atcs",
                "status": "down",
                "time": utcnow().isoformat(),
                "message": "dari proses A",
                "id": "cross-1",
            }
            async with httpx.AsyncClient(base_url=a) as http:
                answer = await http.post(
                    "/api/v1/status",
                    json={"events": [event]},
                    headers={"Authorization": f"Bearer {city.api_key}"},
                )
            assert answer.status_code == 202, answer.text
            frames = await recv_until(ws, lambda f: f.get("key") == "atcs")
            assert frames[-1]["data"]["status"] == "down"
            assert frames[-1]["data"]["message"] == "dari proses A"
