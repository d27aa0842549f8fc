"""Camera registry, live pictures and fault injection over real HTTP."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi.routing import APIRoute

from jcoc.camera import router as camera_router
from tests.cameras.conftest import CamServer, login
from tests.cameras.polling import wait_for
from tests.cameras.servers import MjpegServer

SECRET = "s3cr3t-Pa55word"


def _has_auth(dependant) -> bool:  # type: ignore[no-untyped-def]
    return any(getattr(d.call, "_jcoc_auth", False) or _has_auth(d) for d in dependant.dependencies)


def test_every_camera_route_needs_auth() -> None:
    routes = [*camera_router.api_router.routes, *camera_router.media_router.routes]
    assert routes
    assert [r.path for r in routes if isinstance(r, APIRoute) and not _has_auth(r.dependant)] == []


def test_registry_crud_and_bad_input(cam_server: CamServer) -> None:
    admin = cam_server.admin
    created = cam_server.add_camera(
        "cctv-tugu",
        "sim://street?seed=2&fps=4",
        name="Tugu Juang",
        lat=-1.61,
        lon=103.6,
        kecamatan="Telanaipura",
        expected_fps=4,
    )
    assert created["source"] == "sim" and created["kecamatan"] == "Telanaipura"
    assert (
        admin.post(
            "/api/v1/cameras", json={"code": "cctv-tugu", "url": "sim://x", "name": "x"}
        ).status_code
        == 409
    )
    bad = admin.post("/api/v1/cameras", json={"code": "Bad Code", "url": "ftp://x", "name": ""})
    assert bad.status_code == 422
    text = bad.text
    assert "code" in text and "url" in text and "scheme" in text
    assert (
        admin.post(
            "/api/v1/cameras", json={"code": "c1", "url": "rtsp://", "name": "x"}
        ).status_code
        == 422
    )
    r = admin.patch("/api/v1/cameras/cctv-tugu", json={"name": "Tugu Juang (utara)", "lat": -1.6})
    assert r.status_code == 200 and r.json()["name"] == "Tugu Juang (utara)"
    assert admin.patch("/api/v1/cameras/cctv-tugu", json={"nope": 1}).status_code == 422
    assert admin.patch("/api/v1/cameras/nothere", json={"name": "x"}).status_code == 404
    assert [c["code"] for c in admin.get("/api/v1/cameras").json()] == ["cctv-tugu"]
    # Only admins change the registry; a kiosk may look.
    operator = {"Authorization": f"Bearer {login(cam_server.url, 'sari', 'operator-pw')}"}
    assert (
        httpx.post(
            f"{cam_server.url}/api/v1/cameras",
            headers=operator,
            json={"code": "c2", "url": "sim://x", "name": "x"},
        ).status_code
        == 403
    )
    kiosk = {"kiosk": cam_server.kiosk}
    assert httpx.get(f"{cam_server.url}/api/v1/cameras/cctv-tugu", params=kiosk).status_code == 200
    assert httpx.get(f"{cam_server.url}/api/v1/cameras/cctv-tugu").status_code == 401
    # Live: the sim camera runs in the server and becomes healthy, with metrics stored.
    wait_for(
        lambda: (cam_server.camera("cctv-tugu")["live"] or {}).get("health") == "ok",
        15,
        "the sim camera to be ok",
    )
    rows = wait_for(lambda: admin.get("/api/v1/cameras/cctv-tugu/metrics").json(), 15, "metrics")
    assert rows[0]["online"] is True and rows[0]["health"] == "ok"
    assert (
        admin.get(
            "/api/v1/cameras/cctv-tugu/metrics", params={"from": "2026-01-01T00:00:00"}
        ).status_code
        == 422
    )
    assert (
        admin.get(
            "/api/v1/cameras/cctv-tugu/metrics",
            params={"from": "2020-01-01T00:00:00Z", "to": "2019-01-01T00:00:00Z"},
        ).status_code
        == 422
    )
    assert admin.delete("/api/v1/cameras/cctv-tugu").status_code == 204
    assert admin.get("/api/v1/cameras/cctv-tugu").status_code == 404
    wait_for(lambda: not cam_server.cameras.runs("cctv-tugu"), 10, "the stream to stop")


def test_snapshot_needs_auth_and_is_never_stale(cam_server: CamServer) -> None:
    cam_server.add_camera("sim-a", "sim://street?seed=5&fps=5", expected_fps=5)
    url = f"{cam_server.url}/cameras/sim-a/snapshot.jpg"
    assert httpx.get(url).status_code == 401
    r = wait_for(
        lambda: (lambda r: r if r.status_code == 200 else None)(
            httpx.get(url, params={"kiosk": cam_server.kiosk})
        ),
        10,
        "a live snapshot",
    )
    assert r.headers["content-type"] == "image/jpeg" and r.content[:2] == b"\xff\xd8"
    assert float(r.headers["x-frame-age"]) < 3.0 and "age" in r.headers
    # Offline: no picture is passed off as live.
    assert (
        cam_server.admin.post("/api/v1/cameras/sim-a/simulate", json={"fault": "offline"}).json()[
            "applied"
        ]
        is True
    )
    r = wait_for(
        lambda: (lambda r: r if r.status_code == 503 else None)(
            httpx.get(url, params={"kiosk": cam_server.kiosk})
        ),
        10,
        "a 503 for a stale camera",
    )
    assert "not live" in r.json()["detail"]
    img = httpx.get(url, params={"kiosk": cam_server.kiosk}, headers={"Accept": "image/*"})
    assert img.status_code == 503 and img.content[:2] == b"\xff\xd8"
    wait_for(lambda: cam_server.camera("sim-a")["live"]["health"] == "offline", 10, "offline")
    cam_server.admin.post("/api/v1/cameras/sim-a/sim-fault", json={"fault": "none"})
    wait_for(lambda: cam_server.camera("sim-a")["live"]["health"] == "ok", 15, "back online")
    # It came back by reconnecting (with backoff), not by a restart.
    assert cam_server.cameras.bridge.get("sim-a").stats.connects >= 2


def test_injected_fault_is_detected_and_only_for_sim(cam_server: CamServer) -> None:
    admin = cam_server.admin
    cam_server.add_camera("sim-b", "sim://street?seed=9&fps=8", expected_fps=8, sample_fps=4)
    cam_server.add_camera("real", "rtsp://u:p@127.0.0.1:9/x")
    wait_for(lambda: cam_server.camera("sim-b")["live"]["health"] == "ok", 10, "ok")
    assert admin.post("/api/v1/cameras/real/simulate", json={"fault": "frozen"}).status_code == 409
    assert admin.post("/api/v1/cameras/sim-b/simulate", json={"fault": "melt"}).status_code == 422
    assert admin.post("/api/v1/cameras/sim-b/simulate", json={"fault": "frozen"}).status_code == 200
    wait_for(lambda: cam_server.camera("sim-b")["live"]["health"] == "frozen", 15, "frozen")


def test_credentials_never_leave_the_server(
    cam_server: CamServer, caplog: pytest.LogCaptureFixture
) -> None:
    # INFO everywhere (the production level; below it, drivers echo SQL parameters) and
    # DEBUG for the camera packages themselves.
    caplog.set_level(logging.INFO)
    for name in ("camera_bridge", "ingest.cameras", "jcoc.camera"):
        caplog.set_level(logging.DEBUG, logger=name)
    mjpeg = MjpegServer().start()
    try:
        created = cam_server.add_camera("cam-http", mjpeg.url(credentials=f"admin:{SECRET}"))
        cam_server.add_camera("cam-rtsp", f"rtsp://admin:{SECRET}@127.0.0.1:9/live?token={SECRET}x")
        assert created["url"] == f"http://***@127.0.0.1:{mjpeg.port}/stream.mjpg"
        wait_for(lambda: cam_server.camera("cam-http")["live"]["health"] == "ok", 15, "ok")
        wait_for(lambda: cam_server.camera("cam-rtsp")["live"]["last_error"], 15, "an error")
        assert mjpeg.auth_header.startswith("Basic ")  # the credentials did reach the camera
        bodies = [
            cam_server.admin.get("/api/v1/cameras").text,
            cam_server.admin.get("/api/v1/cameras/cam-rtsp").text,
            cam_server.admin.patch("/api/v1/cameras/cam-rtsp", json={"name": "x"}).text,
            cam_server.admin.get("/openapi.json").text,
        ]
        for body in bodies:
            assert SECRET not in body
        assert "rtsp://***@127.0.0.1:9/live?token=***" in bodies[1]
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "cam-rtsp" in logged and "***@127.0.0.1" in logged
        assert SECRET not in logged
        assert SECRET not in caplog.text
    finally:
        mjpeg.stop()


def test_three_viewers_cost_one_upstream_connection(cam_server: CamServer) -> None:
    mjpeg = MjpegServer(fps=10).start()
    try:
        cam_server.add_camera("cam-mjpeg", mjpeg.url(), expected_fps=10)
        # Slower than the viewers' cap, so every viewer gets every frame of the sim camera.
        cam_server.add_camera("cam-sim", "sim://street?seed=4&fps=3", expected_fps=3)
        wait_for(lambda: cam_server.camera("cam-mjpeg")["live"]["health"] == "ok", 15, "ok")
        bridge = cam_server.cameras.bridge
        for code in ("cam-mjpeg", "cam-sim"):
            encodes_before = bridge.jpeg_encodes
            parts = _watch(cam_server, code, viewers=3, frames=4)
            assert all(n >= 4 for n in parts)
            if code == "cam-sim":
                # JPEG-encoded once per frame whatever the viewer count (≈4 frames, not 12).
                assert bridge.jpeg_encodes - encodes_before <= max(parts) + 1
        assert mjpeg.connections.get("/stream.mjpg") == 1
        stream = bridge.get("cam-sim")
        wait_for(lambda: stream.viewers == 0, 10, "viewers to be released")
    finally:
        mjpeg.stop()


def _watch(cam_server: CamServer, code: str, viewers: int, frames: int) -> list[int]:
    """Open `viewers` live.mjpg streams at once and read `frames` JPEG parts from each."""
    url = f"{cam_server.url}/cameras/{code}/live.mjpg"
    clients = [httpx.Client(timeout=15) for _ in range(viewers)]
    contexts = [c.stream("GET", url, params={"kiosk": cam_server.kiosk}) for c in clients]
    responses = [ctx.__enter__() for ctx in contexts]
    try:
        for r in responses:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("multipart/x-mixed-replace")
        counts = []
        iters = [r.iter_bytes() for r in responses]
        buffers = [b""] * viewers
        for i, it in enumerate(iters):
            while buffers[i].count(b"\xff\xd9") < frames:
                buffers[i] += next(it)
            counts.append(buffers[i].count(b"Content-Type: image/jpeg"))
        return counts
    finally:
        for ctx in contexts:
            ctx.__exit__(None, None, None)
        for c in clients:
            c.close()
