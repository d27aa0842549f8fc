"""`jcoc demo`: the whole control room with a simulated Kota Jambi (what `make run` starts)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from jcoc.config import ConfigError, get_settings


def demo(
    seed: Annotated[int, typer.Option(help="Seed of the simulated city: same seed, same day.")] = 1,
    speed: Annotated[
        float, typer.Option(min=0.1, max=3600, help="Simulated time runs this many times faster.")
    ] = 1.0,
    host: Annotated[str | None, typer.Option(help="Bind address (JCOC_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (JCOC_PORT).")] = None,
    simulate: Annotated[
        bool, typer.Option(help="Run the simulated agencies and camera faults.")
    ] = True,
) -> None:
    """Migrate, seed Kota Jambi (once), serve everything and simulate the city pushing."""
    from jcoc.db import migrate
    from jcoc.demo.runner import DemoOptions, run_demo

    try:
        settings = get_settings()
    except ConfigError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None
    migrate.upgrade(settings)
    options = DemoOptions(
        host=host or settings.host,
        port=port or settings.port,
        seed=seed,
        speed=speed,
        simulate=simulate,
    )
    code = asyncio.run(run_demo(settings, options))
    raise typer.Exit(code)
