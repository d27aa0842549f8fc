"""The wall in a real Chromium against a live JCOC on TimescaleDB."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.dashboard.conftest import artifact
from tests.dashboard.seed import (
    BIG_KPI,
    N_CAMERAS,
    N_KPIS,
    N_SERVICES,
    PASSWORD,
    Seeded,
    status_event,
)
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


async def _assert_all_in_viewport(page, selector: str, expected: int) -> None:
    """Every item is shown, inside the 1920x1080 viewport and inside its panel."""
    items = page.locator(selector)
    assert await items.count() == expected, selector
    for i in range(expected):
        item = items.nth(i)
        assert await item.is_visible(), f"{selector} #{i}"
        box = await item.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        assert box["x"] >= 0 and box["y"] >= 0, f"{selector} #{i} at {box}"
        assert box["x"] + box["width"] <= 1920 and box["y"] + box["height"] <= 1080, box
        panel = await item.evaluate(
            "n => { const p = n.closest('.panel').getBoundingClientRect();"
            " const r = n.getBoundingClientRect();"
            " return r.bottom <= p.bottom + 1 && r.right <= p.right + 1; }"
        )
        assert panel, f"{selector} #{i} is cut off by its panel"


async def test_wall_shows_the_whole_city_on_one_screen(
    wall_server: LiveServer, seeded: Seeded, page
) -> None:
    await page.goto(f"{wall_server.url}/wall/?kiosk={seeded.kiosk}")
    await page.wait_for_selector("#wall[data-connection='live']", timeout=20000)
    await page.wait_for_function(
        "n => document.querySelectorAll('#wall-kpis [data-kpi]').length === n"
        " && document.querySelectorAll('[data-camera]').length === 18"
        " && document.querySelectorAll('[data-service]').length === 40",
        arg=N_KPIS,
        timeout=15000,
    )
    await page.wait_for_timeout(1500)  # one tick: panels sized to the final layout
    await _assert_all_in_viewport(page, "[data-service]", N_SERVICES)
    await _assert_all_in_viewport(page, "#wall-kpis [data-kpi]", N_KPIS)
    await _assert_all_in_viewport(page, "[data-camera]", N_CAMERAS)
    # cameras are real 16:9 thumbnails, not thin bars
    img = await page.locator("[data-camera] .cam-img").first.bounding_box()
    assert img is not None and abs(img["width"] / img["height"] - 16 / 9) < 0.05
    assert img["width"] > 100
    # numbers and ages in Bahasa Indonesia: thousands with a dot, no ".00", seconds as "dtk"
    big = page.locator(f"[data-kpi='{BIG_KPI}'] .kpi-value")
    assert (await big.inner_text()).startswith("4.334")
    assert "kend/jam" in await big.inner_text()
    small = page.locator("[data-kpi='kpi-04'] .kpi-num")
    assert await small.inner_text() == "4,5"
    age = await page.locator("[data-kpi='kpi-00'] .age").inner_text()
    assert re.fullmatch(r"(BASI · )?\d+ (dtk|mnt|jam|hr)", age), age
    assert not re.search(r"\d+ [dmj]$", age)
    await page.screenshot(path=artifact("wall-city.png"))

    await page.click("#wall-lang-btn")
    await page.wait_for_selector("[data-panel='kpis'] h2:has-text('Indicators')")
    await page.wait_for_function(
        "() => /^\\d+ (s|min|h|d)$/.test("
        "document.querySelector(\"[data-kpi='kpi-00'] .age\").textContent)",
        timeout=5000,
    )
    assert (await big.inner_text()).startswith("4,334")
    assert await small.inner_text() == "4.5"
    await _assert_all_in_viewport(page, "[data-service]", N_SERVICES)


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
