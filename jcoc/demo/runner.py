"""`jcoc demo`: migrate, seed, serve the whole app, and let the simulated city push into it.

The server is the production app (`jcoc.app.create_app`); the simulators are ordinary HTTP
clients on 127.0.0.1 in background tasks of the same process, using the agencies' own API
keys. SIGINT/SIGTERM stop the simulators first, then the server, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from jcoc.config import Settings
from jcoc.db.engine import create_engine, detect_flavor, session_factory, transaction
from jcoc.demo import seed as seed_mod
from jcoc.demo.agencies import AgencySimulator, SimClock
from jcoc.demo.cameras import CameraSimulator
from jcoc.demo.dutyteam import DutyTeam
from jcoc.demo.push import PushClient

log = logging.getLogger(__name__)

SIM_STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class DemoOptions:
    host: str
    port: int
    seed: int = 1
    speed: float = 1.0
    simulate: bool = True


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the demo stops the simulators first."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def public_base_url(host: str, port: int) -> str:
    """The URL a person on this machine opens (a wildcard bind is shown as 127.0.0.1)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


async def prepare(settings: Settings, base_url: str) -> tuple[seed_mod.DemoSecrets, str]:
    """Seed the city and its credentials; returns them and the printed note."""
    engine = create_engine(settings)
    try:
        await detect_flavor(engine)
        async with transaction(session_factory(engine)) as session:
            counts = await seed_mod.seed_city(db_session=session)
        async with transaction(session_factory(engine)) as session:
            found = await seed_mod.ensure_secrets(
                db_session=session, stored=seed_mod.load_secrets(settings.data_dir)
            )
    finally:
        await engine.dispose()
    if counts.agencies or counts.services or counts.kpis or counts.cameras:
        log.info(
            "seeded Kota Jambi: %d agencies, %d services, %d KPIs, %d cameras",
            counts.agencies,
            counts.services,
            counts.kpis,
            counts.cameras,
        )
    else:
        log.info("reusing the Kota Jambi seeded by an earlier run")
    notes = seed_mod.render_notes(found, base_url)
    seed_mod.save_secrets(settings.data_dir, found, notes)
    return found, notes


async def run_demo(settings: Settings, options: DemoOptions) -> int:
    """Serve the app with the simulated city until a signal; returns the exit code."""
    from jcoc.app import create_app

    # One line per simulated push would drown the terminal; failures are logged once anyway.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    base_url = public_base_url(options.host, options.port)
    found, notes = await prepare(settings, base_url)
    config = uvicorn.Config(
        create_app(settings),
        host=options.host,
        port=options.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=3,
    )
    server = _Server(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _on_signal, stop, server)
    serving = asyncio.create_task(server.serve(), name="uvicorn")
    while not server.started:
        if serving.done():
            log.error("the server did not start (is port %s in use?)", options.port)
            return 1
        await asyncio.sleep(0.05)

    sys.stdout.write(
        notes + f"  Notes saved in {settings.data_dir / seed_mod.NOTES_FILE}\n  Ctrl-C to stop.\n"
    )
    sys.stdout.flush()

    client = PushClient(f"http://127.0.0.1:{options.port}")
    tasks: list[asyncio.Task[None]] = []
    if options.simulate:
        clock = SimClock(options.speed)
        agencies = AgencySimulator(client, found.keys, seed=options.seed, clock=clock)
        cameras = CameraSimulator(
            client, found.passwords.get("admin", ""), seed=options.seed, clock=clock
        )
        duty = DutyTeam(
            client, found.passwords.get("supervisor", ""), seed=options.seed, clock=clock
        )
        tasks = [
            asyncio.create_task(agencies.run(stop), name="demo-agencies"),
            asyncio.create_task(cameras.run(stop), name="demo-cameras"),
            asyncio.create_task(duty.run(stop), name="demo-duty-team"),
        ]
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    # Let a round in flight finish (its requests answered), then stop the server.
    if tasks:
        _done, late = await asyncio.wait(tasks, timeout=SIM_STOP_TIMEOUT_S)
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await client.aclose()
    server.should_exit = True
    stopper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stopper
    await serving
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)
    log.info("demo stopped (%d pushes accepted)", client.stats.accepted)
    return 0


def _on_signal(stop: asyncio.Event, server: uvicorn.Server) -> None:
    if stop.is_set():
        server.force_exit = True  # a second Ctrl-C: do not wait for open connections
    stop.set()
