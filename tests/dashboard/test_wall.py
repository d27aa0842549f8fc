"""The wall in a real Chromium against a live JCOC on TimescaleDB."""

from __future__ import annotations

import httpx
import pytest

from tests.dashboard.conftest import artifact
from tests.dashboard.seed import PASSWORD, Seeded, status_event
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.timescale]


def test_dashboard_refuses_without_a_token(wall_server: LiveServer, seeded: Seeded) -> None:
    with httpx.Client(base_url=wall_server.url, follow_redirects=False) as c:
        assert c.get("/wall/").status_code == 401
        assert c.get("/wall/", params={"kiosk": "jcoc_kt_nope"}).status_code == 401
        assert c.get("/wall/_dash-layout").status_code == 401
        page = c.get("/pages/incidents", headers={"accept": "text/html"})
        assert page.status_code == 303
        assert page.headers["location"].startswith("/pages/login")
        assert c.get("/pages/_dash-layout").status_code == 401
        # a kiosk token is for the wall only, not for the supervisor pages
        assert c.get("/pages/", params={"kiosk": seeded.kiosk}).status_code == 401
        assert c.get("/wall/", params={"kiosk": seeded.kiosk}).status_code == 200


async def test_wall_renders_live_push_and_goes_stale(
    wall_server: LiveServer, seeded: Seeded, page
) -> None:
    await page.goto(f"{wall_server.url}/wall/?kiosk={seeded.kiosk}")
    await page.wait_for_selector("#wall[data-connection='live']", timeout=20000)
    for panel in ("kpis", "services", "incidents", "cameras", "map", "trends"):
        assert await page.locator(f"[data-panel='{panel}']").is_visible()
    await page.wait_for_selector("[data-incident][data-severity='1']", timeout=10000)
    await page.wait_for_selector("[data-camera='cctv-simpang-kawat']", timeout=10000)
    await page.wait_for_selector("#wall-map .scatterlayer", timeout=10000)
    assert await page.locator("#wall-map text", has_text="Pasar Jambi").count() >= 1

    cell = page.locator("[data-service='atcs']")
    async with httpx.AsyncClient(base_url=wall_server.url) as c:
        headers = {"Authorization": f"Bearer {seeded.api_key}"}
        resp = await c.post("/api/v1/status", json=status_event("down", 1), headers=headers)
        assert resp.status_code < 300, resp.text
        await page.wait_for_selector(
            "[data-service='atcs'][data-status='down'][data-stale='false']", timeout=10000
        )
        resp = await c.post("/api/v1/status", json=status_event("up", 2), headers=headers)
        assert resp.status_code < 300, resp.text
    await page.wait_for_selector("[data-service='atcs'][data-status='up']", timeout=10000)
    await page.screenshot(path=artifact("wall-live.png"))
    # atcs expects a report every 4 s: silence turns the tile stale without a reload
    await page.wait_for_selector("[data-service='atcs'][data-stale='true']", timeout=30000)
    assert await cell.get_attribute("data-status") in ("stale", "up")
    await page.screenshot(path=artifact("wall-stale.png"))

    await page.click("#wall-lang-btn")
    await page.wait_for_selector("[data-panel='incidents'] h2:has-text('Open incidents')")


async def test_wall_shows_disconnect_and_recovers(
    wall_server: LiveServer, seeded: Seeded, page
) -> None:
    await page.goto(f"{wall_server.url}/wall/?kiosk={seeded.kiosk}&rotate=60")
    await page.wait_for_selector("#wall[data-connection='live']", timeout=20000)
    await page.wait_for_selector("[data-service='ews']", timeout=10000)
    wall_server.stop()
    try:
        await page.wait_for_selector("#wall[data-connection='down']", timeout=15000)
        await page.wait_for_selector("[data-service='ews'][data-stale='true']", timeout=5000)
        await page.screenshot(path=artifact("wall-disconnected.png"))
    finally:
        wall_server.start()
    await page.wait_for_selector("#wall[data-connection='live']", timeout=30000)
    await page.wait_for_selector("[data-service='ews'][data-stale='false']", timeout=10000)
    assert "kiosk=" in page.url


def test_split_mode_is_a_client_of_the_api(wall_server: LiveServer, seeded: Seeded) -> None:
    from dashboard.server import create_split_app

    with LiveServer(lambda: create_split_app(wall_server.url)) as split:
        with httpx.Client(base_url=split.url) as c:
            assert c.get("/wall/").status_code == 401
            wall = c.get("/wall/", params={"kiosk": seeded.kiosk})
            assert wall.status_code == 200
            assert "jcoc_kiosk=" in wall.headers["set-cookie"]
            assert c.get("/wall/_dash-layout").status_code == 200  # the kiosk cookie
            login = c.post(
                "/pages/login",
                data={"username": "supa", "password": PASSWORD, "next": "/pages/incidents"},
            )
            assert login.status_code == 303
            assert c.get("/pages/_dash-layout").status_code == 200
