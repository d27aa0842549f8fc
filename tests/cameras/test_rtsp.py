"""A real RTSP camera (rtsp-server-perl fed by ffmpeg, read over UDP) through the whole app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cameras.conftest import CamServer
from tests.cameras.polling import wait_for
from tests.cameras.servers import RTSP_SERVER, rtsp_server
from tests.conftest import unavailable

pytestmark = pytest.mark.rtsp


@pytest.fixture(autouse=True)
def _rtsp_server_installed() -> None:
    if RTSP_SERVER is None:
        unavailable("rtsp-server-perl")


def _live(cam_server: CamServer, code: str) -> dict[str, Any]:
    return cam_server.camera(code)["live"] or {}


def test_rtsp_camera_online_offline_and_back(
    cam_server: CamServer, clips: Any, tmp_path: Path
) -> None:
    with rtsp_server(tmp_path) as rtsp:
        rtsp.publish("cam", clips("normal"))
        cam_server.add_camera(
            "cctv-rtsp",
            rtsp.url("cam", "viewer:pw-rtsp-1"),
            rtsp_transport="udp",
            expected_fps=10,
            sample_fps=2,
        )
        wait_for(lambda: _live(cam_server, "cctv-rtsp").get("health") == "ok", 30, "online")
        rows = wait_for(
            lambda: [
                r
                for r in cam_server.admin.get("/api/v1/cameras/cctv-rtsp/metrics").json()
                if r["fps"]
            ],
            15,
            "metrics with a frame rate",
        )
        assert rows[-1]["online"] is True and rows[-1]["health"] == "ok"
        snap = httpx.get(
            f"{cam_server.url}/cameras/cctv-rtsp/snapshot.jpg", params={"kiosk": cam_server.kiosk}
        )
        assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8"

        rtsp.unpublish("cam")  # the camera goes away
        wait_for(lambda: _live(cam_server, "cctv-rtsp").get("health") == "offline", 20, "offline")
        snap = httpx.get(
            f"{cam_server.url}/cameras/cctv-rtsp/snapshot.jpg", params={"kiosk": cam_server.kiosk}
        )
        assert snap.status_code == 503

        rtsp.publish("cam", clips("normal"))  # and comes back
        wait_for(lambda: _live(cam_server, "cctv-rtsp").get("health") == "ok", 40, "back online")
        snap = httpx.get(
            f"{cam_server.url}/cameras/cctv-rtsp/snapshot.jpg", params={"kiosk": cam_server.kiosk}
        )
        assert snap.status_code == 200
