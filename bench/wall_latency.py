"""Push-to-pixel latency of the wall: `python -m bench.wall_latency`.

A status is pushed through `POST /api/v1/status`; the wall in Chromium timestamps the DOM
change with a MutationObserver, and a raw websocket client on `/ws` timestamps the same
update in the same run (the baseline). Target: p99 <= 1 s, aim <= 250 ms.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

from jcoc.app import create_app
from jcoc.config import Settings
from jcoc.db import migrate
from tests.dashboard.conftest import CHROMIUM_ARGS
from tests.dashboard.seed import seed, status_event
from tests.live import LiveServer

PUSHES = 40

OBSERVER = """() => {
  window.__changes = [];
  const cell = document.querySelector("[data-service='atcs']");
  new MutationObserver(() => window.__changes.push([cell.getAttribute('data-status'), Date.now()]))
    .observe(cell, {attributes: true, attributeFilter: ['data-status']});
}"""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _measure(settings: Settings) -> tuple[list[float], list[float]]:
    from playwright.async_api import async_playwright

    seeded = await seed(settings)
    server = LiveServer(lambda: create_app(settings)).start()
    browser_ms: list[float] = []
    raw_ms: list[float] = []
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
            )
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await page.goto(f"{server.url}/wall/?kiosk={seeded.kiosk}")
            await page.wait_for_selector("[data-service='atcs']", timeout=30000)
            await page.evaluate(OBSERVER)
            ws_url = f"{server.ws_url}/ws?token={seeded.kiosk}"
            async with (
                websockets.connect(ws_url) as ws,
                httpx.AsyncClient(base_url=server.url) as client,
            ):
                await ws.send(json.dumps({"op": "subscribe", "topics": ["services"]}))
                headers = {"Authorization": f"Bearer {seeded.api_key}"}
                for n in range(PUSHES):
                    status = "down" if n % 2 == 0 else "up"
                    await page.evaluate("() => { window.__changes = []; }")
                    sent = time.time()
                    resp = await client.post(
                        "/api/v1/status", json=status_event(status, n), headers=headers
                    )
                    resp.raise_for_status()
                    while True:  # the raw client's view of the same update
                        msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                        if (
                            msg.get("key") == "atcs"
                            and (msg.get("data") or {}).get("status") == status
                        ):
                            raw_ms.append((time.time() - sent) * 1000)
                            break
                    seen = await page.wait_for_function(
                        f"() => (window.__changes.find(c => c[0] === '{status}') || [0, 0])[1]",
                        timeout=10000,
                    )
                    browser_ms.append(await seen.json_value() - sent * 1000)
            await browser.close()
    finally:
        server.stop()
    return browser_ms, raw_ms


def run() -> list[dict[str, Any]]:
    """Rows for the benchmark table: browser vs raw websocket, p50 and p99, in ms."""
    with tempfile.TemporaryDirectory(prefix="jcoc-bench-") as tmp:
        db = Path(tmp) / "jcoc.db"
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            env="test",
            secret_key="bench-secret-key-0123456789",
            database_url=f"sqlite+aiosqlite:///{db}",
            data_dir=Path(tmp),
        )
        migrate.upgrade(settings)
        browser_ms, raw_ms = asyncio.run(_measure(settings))
    rows = []
    for name, q, target in (("p50", 0.5, 250.0), ("p99", 0.99, 1000.0)):
        ours, base = _pct(browser_ms, q), _pct(raw_ms, q)
        rows.append(
            {
                "benchmark": f"wall push-to-pixel latency {name}",
                "ours": round(ours, 1),
                "baseline": round(base, 1),
                "unit": "ms",
                "ratio": round(ours / base, 2) if base else None,
                "target": f"<= {target:g} ms",
            }
        )
    rows.append(
        {
            "benchmark": "wall push-to-pixel latency mean",
            "ours": round(statistics.mean(browser_ms), 1),
            "baseline": round(statistics.mean(raw_ms), 1),
            "unit": "ms",
            "ratio": round(statistics.mean(browser_ms) / statistics.mean(raw_ms), 2),
            "target": "",
        }
    )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
