"""`jcoc ingest …`: the ingest processes that run apart from the API (scale-out)."""

from __future__ import annotations

import asyncio
import logging

import typer

from jcoc.config import get_settings

log = logging.getLogger(__name__)

ingest_app = typer.Typer(help="Ingest processes run apart from the API.", no_args_is_help=True)


@ingest_app.command("probes")
def probes() -> None:
    """Run the active probes (HTTP/TCP checks of services that cannot push) until stopped."""
    from ingest.probes.process import run_probes_process

    try:
        asyncio.run(run_probes_process(get_settings()))
    except KeyboardInterrupt:
        log.info("probes stopped")


# Camera analytics process (ingest/cameras/cli.py).
from ingest.cameras.cli import cameras as _cameras  # noqa: E402

ingest_app.command("cameras")(_cameras)
