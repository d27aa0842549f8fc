"""One Chromium for the whole session, and a live JCOC on TimescaleDB with seed data."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from jcoc.config import Settings
from tests import services
from tests.conftest import make_settings, new_pg_database, unavailable
from tests.dashboard.seed import Seeded, seed
from tests.live import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    exe = shutil.which("chromium")
    if exe is None:
        unavailable("chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        await b.close()


@pytest.fixture(scope="module")
def dash_settings(
    pg_server: services.PgServer, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return make_settings(
        database_url=pg_server.url(new_pg_database(pg_server)),
        timescale="on",
        data_dir=tmp_path_factory.mktemp("dash"),
    )


@pytest.fixture(scope="module")
def seeded(dash_settings: Settings) -> Seeded:
    import asyncio

    return asyncio.run(seed(dash_settings))


@pytest.fixture(scope="module")
def wall_server(dash_settings: Settings, seeded: Seeded) -> Iterator[LiveServer]:
    from jcoc.app import create_app

    with LiveServer(lambda: create_app(dash_settings)) as server:
        yield server


@pytest.fixture
async def page(browser: object) -> AsyncIterator[object]:
    context = await browser.new_context(viewport={"width": 1920, "height": 1080})  # type: ignore[attr-defined]
    p = await context.new_page()
    yield p
    await context.close()


def artifact(name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / name)
