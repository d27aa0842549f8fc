"""`jcoc ingest cameras --shard i/n`: a process that pulls and analyses a share of the cameras."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from ingest.cameras.component import config_from_settings
from ingest.cameras.manager import CameraManager
from jcoc.bus import create_bus
from jcoc.config import Settings, get_settings
from jcoc.db.engine import create_engine, detect_flavor, session_factory

log = logging.getLogger(__name__)


def parse_shard(value: str) -> tuple[int, int]:
    """`i/n` with 0 <= i < n."""
    try:
        index, count = (int(p) for p in value.split("/", 1))
    except ValueError:
        raise typer.BadParameter("use i/n, e.g. 0/2") from None
    if count < 1 or not 0 <= index < count:
        raise typer.BadParameter("need 0 <= i < n")
    return index, count


async def run_cameras_process(settings: Settings, shard: tuple[int, int]) -> None:
    """Run the cameras of one shard until cancelled (Redis bus to share the live picture)."""
    engine = create_engine(settings)
    bus = create_bus(settings.redis_url)
    try:
        await detect_flavor(engine)
        await bus.start()
        manager = CameraManager(
            sessions=session_factory(engine), bus=bus, config=config_from_settings(settings, shard)
        )
        await manager.start()
        log.info("cameras: shard %d/%d running %d cameras", *shard, len(manager.cameras))
        try:
            await asyncio.Event().wait()
        finally:
            await manager.stop()
    finally:
        await bus.stop()
        await engine.dispose()


def cameras(
    shard: Annotated[str, typer.Option(help="This process's share: i/n (0-based).")] = "0/1",
) -> None:
    """Pull and analyse cameras (this shard's share) until stopped."""
    parsed = parse_shard(shard)
    try:
        asyncio.run(run_cameras_process(get_settings(), parsed))
    except KeyboardInterrupt:
        log.info("cameras stopped")
