"""The probes as a process of their own (`jcoc ingest probes`)."""

from __future__ import annotations

import asyncio

from jcoc.config import Settings


async def run_probes_process(settings: Settings) -> None:
    """Run the probes against the configured database until cancelled."""
    await asyncio.Event().wait()
