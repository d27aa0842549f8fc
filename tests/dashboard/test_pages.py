"""Supervisor pages in a real Chromium: login, incident detail, actions by role."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import artifact
from tests.dashboard.seed import PASSWORD, Seeded
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.timescale]


async def _login(page, server: LiveServer, username: str, target: str) -> None:
    await page.goto(f"{server.url}{target}")
    await page.wait_for_selector("[data-testid='login-form']")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector(f".who:has-text('{username}')", timeout=15000)


async def test_operator_cannot_close_supervisor_can(
    wall_server: LiveServer, seeded: Seeded, browser
) -> None:
    detail = f"/pages/incidents/{seeded.incident_id}"
    for_operator = await browser.new_context()
    page = await for_operator.new_page()
    try:
        await page.goto(f"{wall_server.url}/pages/login")
        await page.fill("input[name=username]", "opa")
        await page.fill("input[name=password]", "wrong-password")
        await page.click("button[type=submit]")
        await page.wait_for_selector("[role=alert]:has-text('Wrong username or password')")

        await _login(page, wall_server, "opa", detail)
        await page.wait_for_selector(f"h1[data-incident='{seeded.incident_id}']")
        await page.click("[data-action='acknowledge']")
        message = await page.wait_for_selector("#inc-message span", timeout=15000)
        assert (await message.text_content()).startswith("OK"), await message.text_content()
        await page.wait_for_selector("h1[data-incident-status='acknowledged']", timeout=15000)
        assert await page.locator("[data-action='resolve']").count() == 0
        assert await page.locator("[data-action='close']").count() == 0
        await page.goto(f"{wall_server.url}/pages/incidents")
        await page.wait_for_selector("#inc-list p, #inc-list .error", timeout=15000)
        listing = await page.locator("#inc-list").text_content()
        assert "Genangan" in listing, listing
    finally:
        await for_operator.close()

    for_supervisor = await browser.new_context(viewport={"width": 1600, "height": 900})
    page = await for_supervisor.new_page()
    try:
        await _login(page, wall_server, "supa", detail)
        await page.fill("#inc-comment", "Air sudah surut")
        await page.click("[data-action='resolve']")
        await page.wait_for_selector("h1[data-incident-status='resolved']", timeout=15000)
        await page.click("[data-action='close']")
        await page.wait_for_selector("h1[data-incident-status='closed']", timeout=15000)
        assert await page.locator("[data-event='closed']").count() == 1
        await page.screenshot(path=artifact("incident-closed.png"))
    finally:
        await for_supervisor.close()
