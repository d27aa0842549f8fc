"""The probes as a process of their own (`jcoc ingest probes`)."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

from ingest.component import probes_component
from ingest.writer import Writer
from jcoc.bus import create_bus
from jcoc.config import Settings
from jcoc.db.engine import create_engine, detect_flavor, session_factory
from jcoc.db.leader import PROBES, singleton

log = logging.getLogger(__name__)


async def run_probes_process(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run the probes against the configured database until `stop` is set (or cancelled).

    Results go through a writer of this process and are published on the bus; set
    JCOC_REDIS_URL so the API process (hub, incidents) sees them live.
    """
    engine = create_engine(settings)
    try:
        await detect_flavor(engine)
    except Exception:
        log.warning("database unreachable at start; probes keep trying", exc_info=True)
    bus = create_bus(settings.redis_url)
    await bus.start()
    writer = Writer(settings=settings, engine=engine, bus=bus)
    # The same election as the API processes' probes: one prober in the whole city.
    proc = SimpleNamespace(
        state=SimpleNamespace(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            writer=writer,
            bus=bus,
        )
    )
    await writer.start()
    try:
        async with singleton(probes_component, group=PROBES)(proc):
            log.info("probes process ready (probing while it leads the 'probes' group)")
            await (stop or asyncio.Event()).wait()
    finally:
        await writer.stop()
        await bus.stop()
        await engine.dispose()
