"""The ingest parts of the all-in-one server, as app components (see jcoc/app.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from ingest.ratelimit import RateLimiter
from ingest.registry import Registry
from ingest.writer import Writer


@contextlib.asynccontextmanager
async def writer_component(app: Any) -> AsyncIterator[None]:
    """The group-commit writer (`app.state.writer`), the code registry and the rate limiter."""
    settings = app.state.settings
    writer = Writer(settings=settings, engine=app.state.engine, bus=app.state.bus)
    registry = Registry()
    app.state.writer = writer
    app.state.registry = registry
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
    await writer.start()
    await registry.start(app.state.bus)
    try:
        yield
    finally:
        await registry.stop()
        await writer.stop()


@contextlib.asynccontextmanager
async def probes_component(app: Any) -> AsyncIterator[None]:
    """The active probes, writing through `app.state.writer`."""
    from ingest.probes.runner import ProbeRunner

    runner = ProbeRunner(sessions=app.state.sessions, writer=app.state.writer, bus=app.state.bus)
    app.state.probes = runner
    await runner.start()
    try:
        yield
    finally:
        await runner.stop()
